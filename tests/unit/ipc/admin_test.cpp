// Admin commands over the control connection (PROTOCOL.md §7): the answer of any size arrives
// whole in chunks, errors come back as errno, and the caller's credentials reach the handler.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "ipc_harness.hpp"

namespace tapstack::ipc {
namespace {

using testing::IpcHarness;

TEST(IpcAdmin, LargeAnswersArriveWholeInChunks) {
  IpcHarness h;
  std::string big;
  for (int i = 0; big.size() < 3 * kAdminChunk + 17; ++i) big += std::to_string(i) + ",";
  std::vector<std::string> seen;
  h.server().set_admin_handler([&](const daemon::ipc::AdminCaller& caller,
                                   std::string_view line) -> Result<std::string, std::uint32_t> {
    seen.emplace_back(line);
    EXPECT_EQ(caller.credentials.pid, ::getpid());
    EXPECT_TRUE(caller.privileged);  // the same user as the daemon
    if (line == "fail") return unexpected(std::uint32_t{EPERM});
    return line == "big" ? big : std::string{"small\n"};
  });
  auto client = h.client();
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->admin("big").value_or(""), big);
  EXPECT_EQ(client->admin("small").value_or(""), "small\n");
  EXPECT_EQ(client->admin("fail").error(), EPERM);
  // The handler ran once per command, not once per chunk.
  EXPECT_EQ(seen, (std::vector<std::string>{"big", "small", "fail"}));
}

TEST(IpcAdmin, WithoutAHandlerCommandsAreNotSupported) {
  IpcHarness h;
  auto client = h.client();
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->admin("status").error(), EOPNOTSUPP);
}

}  // namespace
}  // namespace tapstack::ipc
