// Copyright (c) the kvstore developers.
//
// ReplyWriter: appends RESP2 or RESP3 replies to a connection's output
// buffer. The buffer is the connection's own and is reused across batches,
// so writing a reply allocates only when the buffer must grow. The protocol
// version only changes how nulls, maps, doubles and verbatim strings are
// framed; command code calls the same methods either way.

#ifndef KVSTORE_SERVER_REPLY_H_
#define KVSTORE_SERVER_REPLY_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "error_stats.h"

namespace kvstore::server {

class ReplyWriter {
 public:
  // `out` must outlive the writer; replies are appended to it.
  // Error replies are counted by code in `errors` when given (INFO errorstats).
  explicit ReplyWriter(std::string* out, int protocol = 2, ErrorTally* errors = nullptr)
      : out_(out), protocol_(protocol), tally_(errors) {}

  void set_protocol(int protocol) { protocol_ = protocol; }
  int protocol() const { return protocol_; }
  // Error replies written so far (INFO's failed_calls).
  uint64_t errors() const { return errors_; }

  // +text (text must not contain CR or LF).
  void Simple(std::string_view text);
  void Ok() { Simple("OK"); }
  // -text: text starts with the error code ("ERR ...", "WRONGPASS ...").
  // CR and LF inside it are replaced by spaces, as Redis does, so that an
  // argument quoted in an error cannot break the framing.
  void Error(std::string_view text);
  void Integer(int64_t v);
  void Bulk(std::string_view data);
  // RESP2 "$-1", RESP3 "_".
  void Null();
  // RESP2 "*-1", RESP3 "_".
  void NullArray();
  void ArrayHeader(std::size_t n);
  // RESP3 "%n"; RESP2 a flat array of 2n elements (key, value, ...).
  void MapHeader(std::size_t n);
  // RESP3 ",<double>"; RESP2 a bulk string of the same text.
  void Double(double v);
  // Appends replies another writer framed (EXEC's array of its commands'
  // replies). Their errors are counted by that writer, not this one.
  void Raw(std::string_view framed) {
    out_->append(framed);
    Grew();
  }
  // RESP3 "=<len>\r\n<format>:<text>" (format: three characters, "txt" or
  // "mkd"); RESP2 a bulk string of text.
  void Verbatim(std::string_view text, std::string_view format = "txt");
  // RESP3 "~n"; RESP2 an array of the n members.
  void SetHeader(std::size_t n);
  // RESP3 "(<digits>"; RESP2 a bulk string of the same text.
  void BigNumber(std::string_view digits);

  // Caps the buffer at `bytes` (the normal class's hard
  // client-output-buffer-limit; 0: no cap), as Redis stops adding replies to
  // a client it will close: once the buffer holds more, this and later
  // replies go nowhere, however long they are, and over_cap() is true. The
  // caller then closes the connection without sending anything more.
  void set_cap(uint64_t bytes) { cap_ = bytes == 0 ? UINT64_MAX : bytes; }
  bool over_cap() const { return over_cap_; }

  // Until Resume(), replies go nowhere: a command answered early (WRONGTYPE
  // from a keyspace read, keyspace.h) writes the rest of its reply into the
  // void instead of after the error. The dispatcher resumes after each
  // command.
  void Discard() {
    if (out_ != &discarded_) saved_ = out_;
    out_ = &discarded_;
  }
  bool discarding() const { return out_ == &discarded_; }
  void Resume() {
    if (out_ != &discarded_ || over_cap_) return;
    out_ = saved_;
    discarded_.clear();
  }

 private:
  template <class T>
  void NumberLine(char type, T n);
  void Header(char type, uint64_t n);
  // After each reply that may be long: applies the cap, and keeps what goes
  // nowhere from piling up.
  void Grew();

  std::string* out_;
  std::string* saved_ = nullptr;  // out_ while discarding
  std::string discarded_;
  int protocol_;
  ErrorTally* tally_;
  uint64_t errors_ = 0;
  uint64_t cap_ = UINT64_MAX;
  bool over_cap_ = false;
};

}  // namespace kvstore::server

#endif  // KVSTORE_SERVER_REPLY_H_
