// The tapstackctl answer format: aligned text with upper-case headers and right-aligned numbers,
// JSON arrays of objects (numbers as numbers, "-" as null) and key-value objects.
#include <gtest/gtest.h>

#include "daemon/admin/table.hpp"

namespace tapstack::daemon::admin {
namespace {

Table sample() {
  Table table{{{"proto"}, {"recv_q", true}, {"local"}}};
  table.add_row({"tcp", "0", "*:80"});
  table.add_row({"udp", "1234", "10.0.0.2:53"});
  table.add_row({"tcp", "-", "*:7"});
  return table;
}

TEST(AdminTable, TextAlignsColumnsAndRightAlignsNumbers) {
  EXPECT_EQ(sample().text(),
            "PROTO  RECV_Q  LOCAL\n"
            "tcp         0  *:80\n"
            "udp      1234  10.0.0.2:53\n"
            "tcp         -  *:7\n");
}

TEST(AdminTable, JsonKeepsNumbersAndMapsUnknownToNull) {
  EXPECT_EQ(sample().json(),
            "[\n"
            "  {\"proto\": \"tcp\", \"recv_q\": 0, \"local\": \"*:80\"},\n"
            "  {\"proto\": \"udp\", \"recv_q\": 1234, \"local\": \"10.0.0.2:53\"},\n"
            "  {\"proto\": \"tcp\", \"recv_q\": null, \"local\": \"*:7\"}\n"
            "]\n");
  EXPECT_EQ(Table{{{"a"}}}.json(), "[]\n");
}

TEST(AdminTable, KeyValueTablesAreObjects) {
  Table table = Table::key_value();
  table.add_row({"version", "0.1.0"});
  table.add_row({"uptime_seconds", "12"});
  EXPECT_EQ(table.text(), "version         0.1.0\nuptime_seconds  12\n");
  EXPECT_EQ(table.json(), "{\n  \"version\": \"0.1.0\",\n  \"uptime_seconds\": 12\n}\n");
}

TEST(AdminTable, JsonStringsAreEscaped) {
  EXPECT_EQ(json_string("a\"b\\c\nd\x01"), "\"a\\\"b\\\\c\\nd\\u0001\"");
}

}  // namespace
}  // namespace tapstack::daemon::admin
