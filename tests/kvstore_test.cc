#include "kvstore/kvstore.h"
#include <gtest/gtest.h>
TEST(Smoke, Works) {}
