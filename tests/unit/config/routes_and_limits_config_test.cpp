// Static routes (`routes:`, issue 9) and IPC limits (`ipc.max_*`): parsed and checked with
// file:line.
#include <gtest/gtest.h>

#include "config/config_error.hpp"
#include "config/loader.hpp"

namespace tapstack::config {
namespace {

std::string load_error(std::string_view yaml) {
  try {
    load_config_text(yaml, "test.yaml");
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "no error";
}

TEST(RoutesConfig, ReadsPrefixAndNextHop) {
  const Config config = load_config_text(
      "routes:\n  - {to: 10.2.0.0/16, via: 10.0.0.1}\n  - {to: 192.168.7.9/32, via: 10.0.0.1}\n",
      "test.yaml");
  ASSERT_EQ(config.routes.size(), 2u);
  EXPECT_EQ(config.routes[0],
            (RouteConfig{Ipv4Cidr{Ipv4Addr{10, 2, 0, 0}, 16}, Ipv4Addr{10, 0, 0, 1}}));
  EXPECT_EQ(config.routes[1].to.prefix_len(), 32);
  EXPECT_TRUE(load_config_text("gateway: none\n", "test.yaml").routes.empty());
}

TEST(RoutesConfig, BadRoutesSayWhereAndWhy) {
  EXPECT_EQ(load_error("routes:\n  - {to: 10.2.0.1/16, via: 10.0.0.1}\n"),
            "test.yaml:2:10: routes[0].to: expected a network prefix such as 10.2.0.0/16, got "
            "\"10.2.0.1/16\" (host bits set (the network is 10.2.0.0/16))");
  EXPECT_NE(load_error("routes:\n  - {to: 0.0.0.0/0, via: 10.0.0.1}\n").find("gateway"),
            std::string::npos);
  EXPECT_NE(load_error("routes:\n  - {to: 10.2.0.0/16}\n").find("missing required key \"via\""),
            std::string::npos);
  EXPECT_NE(load_error("routes:\n  - {to: 10.2.0.0/16, via: 10.9.0.1}\n")
                .find("routes[0].via: 10.9.0.1 is not on the subnet of any interface address"),
            std::string::npos);
  EXPECT_NE(load_error("routes:\n  - {to: 10.0.0.0/24, via: 10.0.0.1}\n")
                .find("is the on-link subnet of 10.0.0.2/24"),
            std::string::npos);
  EXPECT_NE(load_error("routes:\n  - {to: 10.2.0.0/16, via: 10.0.0.1}\n"
                       "  - {to: 10.2.0.0/16, via: 10.0.0.1}\n")
                .find("routes[1].to: 10.2.0.0/16 is also routes[0]"),
            std::string::npos);
}

}  // namespace
}  // namespace tapstack::config

namespace tapstack::config {
namespace {

TEST(IpcLimitsConfig, ReadsTheLimitsAndRejectsZero) {
  const Config config = load_config_text(
      "ipc: {max_clients: 3, max_sockets_per_client: 2, max_sockets: 10}\n", "test.yaml");
  EXPECT_EQ(config.ipc.max_clients, 3u);
  EXPECT_EQ(config.ipc.max_sockets_per_client, 2u);
  EXPECT_EQ(config.ipc.max_sockets, 10u);
  EXPECT_NE(load_error("ipc: {max_sockets_per_client: 0}\n").find("test.yaml:1:31"),
            std::string::npos);
}

TEST(IpcLimitsConfig, ReadsTheBufferBudgetAsASize) {
  EXPECT_EQ(default_config().ipc.max_buffer_per_client, std::uint64_t{25} << 30);
  const Config config = load_config_text("ipc: {max_buffer_per_client: 3MiB}\n", "test.yaml");
  EXPECT_EQ(config.ipc.max_buffer_per_client, std::uint64_t{3} << 20);
  // Below one TCP socket at the smallest buffers: refused with its position.
  EXPECT_NE(load_error("ipc: {max_buffer_per_client: 4KiB}\n").find("test.yaml:1:30"),
            std::string::npos);
}

}  // namespace
}  // namespace tapstack::config
