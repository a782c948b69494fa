// The built-in services end to end over two in-memory stacks (tests/unit/daemon/two_stacks.hpp):
// a client on stack B talks to the services on stack A through real TCP segments.
#include <gtest/gtest.h>

#include <string>

#include "daemon/services/pattern.hpp"
#include "daemon/services/stream_sessions.hpp"
#include "two_stacks.hpp"

namespace tapstack::daemon::services {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;
using testing::Client;
using testing::TwoStacks;

// Deterministic non-repeating test data (a 64-bit LCG's high bytes).
std::string test_data(std::size_t size) {
  std::string data(size, '\0');
  std::uint64_t state = 12345;
  for (char& c : data) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    c = static_cast<char>(state >> 56);
  }
  return data;
}

bool is_pattern(std::string_view data, std::uint64_t offset = 0) {
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (static_cast<std::byte>(data[i]) != pattern_byte(offset + i)) return false;
  }
  return true;
}

// Runs one client until the server closed the connection (EOF) or an error.
void run_to_end(TwoStacks& net, Client& client) {
  ASSERT_TRUE(net.run_until([&] { return client.end_of_stream || client.error; },
                            [&](Instant now) { return client.step(now); }));
}

TEST(Services, EchoSendsEverythingBackAndClosesAfterThePeer) {
  TwoStacks net;
  auto client = net.connect(7);
  client->to_send = test_data(3 * 1024 * 1024 + 17);
  client->shutdown_after_sending = true;
  run_to_end(net, *client);
  EXPECT_FALSE(client->error);
  EXPECT_TRUE(client->received == client->to_send);
  EXPECT_EQ(net.services().stats().echo_bytes, client->to_send.size());
  EXPECT_EQ(net.services().session_count(), 0u);
}

// 100,000 idle echo connections must cost a few KB each (issue 7): an echo session keeps a
// buffer only while data waits for the send buffer.
TEST(Services, AnIdleEchoSessionHoldsNoBuffer) {
  EXPECT_LT(sizeof(EchoSession), 512U);
}

// Echo stops reading while its pending output is full: a client that never reads fills the
// buffers on both sides, and then TCP flow control stops it, however long it tries.
TEST(Services, EchoPushesBackOnAClientThatDoesNotRead) {
  TwoStacks net;
  auto client = net.connect(7);
  client->to_send = test_data(64 * 1024 * 1024);
  client->reading = false;
  net.run_until([] { return false; }, [&](Instant now) { return client->step(now); }, 10s);
  const std::size_t stalled_at = client->sent;
  net.run_until([] { return false; }, [&](Instant now) { return client->step(now); }, 10s);
  EXPECT_EQ(client->sent, stalled_at);
  // Client send buffer, server receive buffer (autotuned up to 6 MiB), echo's 64 KiB, server
  // send buffer, client receive buffer: far below the 64 MiB offered.
  EXPECT_LT(stalled_at, 16u * 1024 * 1024);
  EXPECT_EQ(net.services().session_count(), 1u);

  client->reading = true;
  client->to_send.resize(stalled_at + 1000);
  client->shutdown_after_sending = true;
  run_to_end(net, *client);
  EXPECT_TRUE(client->received == client->to_send);
}

// Holes in what the server receives make it send SACK blocks on its echoed data segments; they
// must still fit the MTU. Disabled: TcpConnection::send_segment() adds up to three SACK blocks
// (up to 28 option bytes) to full-sized segments whose smss only leaves room for timestamps,
// so the IPv4 layer drops them (ipv4_tx_drop_too_big) and the transfer stalls on RTOs.
TEST(Services, EchoOverALossyLinkKeepsSegmentsWithinTheMtu) {
  FaultSettings lossy;
  lossy.drop = 0.02;
  TwoStacks net{lossy};
  auto client = net.connect(7);
  client->to_send = test_data(1024 * 1024);
  client->shutdown_after_sending = true;
  ASSERT_TRUE(net.run_until([&] { return client->end_of_stream || client->error; },
                            [&](Instant now) { return client->step(now); }, 600s));
  EXPECT_TRUE(client->received == client->to_send);
  EXPECT_EQ(net.server().counters().get(Counter::ipv4_tx_drop_too_big), 0u);
}

TEST(Services, DiscardReadsEverythingAndClosesAtTheEnd) {
  TwoStacks net;
  auto client = net.connect(9);
  client->to_send = test_data(2 * 1024 * 1024);
  client->shutdown_after_sending = true;
  run_to_end(net, *client);
  EXPECT_EQ(client->received, "");
  EXPECT_EQ(net.services().stats().discard_bytes, client->to_send.size());
}

TEST(Services, ChargenSendsThePatternUntilTheClientCloses) {
  TwoStacks net;
  auto client = net.connect(19);
  ASSERT_TRUE(net.run_until([&] { return client->received.size() >= 4 * 1024 * 1024; },
                            [&](Instant now) { return client->step(now); }));
  EXPECT_TRUE(is_pattern(client->received));
  client->close(net.now());
  EXPECT_TRUE(net.run_until([&] { return net.services().session_count() == 0; },
                            [](Instant) { return false; }));
}

// Sends `request` on a fresh connection and returns everything the server sent until it closed.
std::string http_exchange(TwoStacks& net, const std::string& request) {
  auto client = net.connect(80);
  client->to_send = request;
  client->shutdown_after_sending = true;
  run_to_end(net, *client);
  EXPECT_FALSE(client->error);
  return client->received;
}

TEST(Services, HttpBytesStreamsThePattern) {
  TwoStacks net;
  const std::string response =
      http_exchange(net, "GET /bytes/5000000 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  const auto head_end = response.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos);
  const std::string head = response.substr(0, head_end);
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200 OK\r\n")) << head;
  EXPECT_NE(head.find("Content-Length: 5000000\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("Connection: close"), std::string::npos) << head;
  const std::string_view body = std::string_view{response}.substr(head_end + 4);
  EXPECT_EQ(body.size(), 5'000'000u);
  EXPECT_TRUE(is_pattern(body));
}

TEST(Services, HttpSinkHashesLengthAndChunkedBodies) {
  TwoStacks net;
  const std::string million_a(1'000'000, 'a');  // FIPS 180-4 example
  const std::string expected =
      "1000000 cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0\n";
  std::string response = http_exchange(
      net, "POST /sink HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\n" + million_a);
  EXPECT_TRUE(response.starts_with("HTTP/1.1 200 OK\r\n")) << response;
  EXPECT_TRUE(response.ends_with("\r\n\r\n" + expected)) << response;

  std::string chunked = "POST /sink HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (std::size_t at = 0; at < million_a.size(); at += 300'000) {
    const std::size_t size = std::min<std::size_t>(300'000, million_a.size() - at);
    char size_line[32];
    std::snprintf(size_line, sizeof size_line, "%zx\r\n", size);
    chunked += size_line + million_a.substr(at, size) + "\r\n";
  }
  chunked += "0\r\n\r\n";
  response = http_exchange(net, chunked);
  EXPECT_TRUE(response.ends_with("\r\n\r\n" + expected)) << response;
  EXPECT_EQ(net.services().stats().sink_bytes, 2'000'000u);
}

TEST(Services, HttpKeepsTheConnectionForPipelinedRequests) {
  TwoStacks net;
  const std::string response =
      http_exchange(net,
                    "GET /bytes/3 HTTP/1.1\r\nHost: t\r\n\r\n"
                    "HEAD /bytes/1000000000000 HTTP/1.1\r\nHost: t\r\n\r\n"
                    "POST /sink HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"
                    "GET /nowhere HTTP/1.1\r\nHost: t\r\n\r\n"
                    "DELETE /bytes/1 HTTP/1.1\r\nHost: t\r\n\r\n"
                    "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
  // A std::string literal: the body holds NUL bytes.
  const std::string expected_start =
      "HTTP/1.1 200 OK\r\nServer: tapstackd/test\r\nContent-Type: application/octet-stream\r\n"
      "Content-Length: 3\r\n\r\n\x00\x01\x02"
      "HTTP/1.1 200 OK\r\nServer: tapstackd/test\r\nContent-Type: application/octet-stream\r\n"
      "Content-Length: 1000000000000\r\n\r\n"
      "HTTP/1.1 200 OK\r\nServer: tapstackd/test\r\nContent-Type: text/plain\r\n"
      "Content-Length: 67\r\n\r\n"
      "3 ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n"
      "HTTP/1.1 404 Not Found\r\nServer: tapstackd/test\r\nContent-Type: text/plain\r\n"
      "Content-Length: 14\r\n\r\n404 Not Found\n"
      "HTTP/1.1 405 Method Not Allowed\r\nServer: tapstackd/test\r\nContent-Type: text/plain\r\n"
      "Content-Length: 23\r\nAllow: GET, HEAD\r\n\r\n405 Method Not Allowed\n"
      "HTTP/1.1 200 OK\r\n"s;
  EXPECT_EQ(response.substr(0, expected_start.size()), expected_start) << response;
  EXPECT_NE(response.find("tapstackd test\nuptime_seconds: "), std::string::npos) << response;
  EXPECT_NE(response.find("http_requests: 6\n"), std::string::npos) << response;
  EXPECT_EQ(net.services().stats().connections_accepted, 1u);
}

TEST(Services, HttpAnswersBadRequestsAndCloses) {
  TwoStacks net;
  auto client = net.connect(80);
  // No shutdown from the client: the server closes by itself after the error response.
  client->to_send = "GET / HTTP/1.1\r\n" + std::string(20000, 'X') + "\r\n\r\nGET / HTTP/1.1\r\n";
  ASSERT_TRUE(net.run_until([&] { return client->end_of_stream || client->error; },
                            [&](Instant now) { return client->step(now); }));
  EXPECT_TRUE(client->received.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"))
      << client->received;
  EXPECT_NE(client->received.find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(net.services().stats().http_errors, 1u);
}

TEST(Services, HttpClosesAfterAResponseToConnectionClose) {
  TwoStacks net;
  auto client = net.connect(80);
  client->to_send = "GET /bytes/10 HTTP/1.0\r\n\r\n";  // HTTP/1.0: close by default
  ASSERT_TRUE(net.run_until([&] { return client->end_of_stream || client->error; },
                            [&](Instant now) { return client->step(now); }));
  EXPECT_TRUE(client->received.ends_with(
      "Connection: close\r\n\r\n" + std::string{"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09", 10}))
      << client->received;
  client->close(net.now());
  EXPECT_TRUE(net.run_until([&] { return net.services().session_count() == 0; },
                            [](Instant) { return false; }));
}

TEST(Services, StopClosesEverything) {
  TwoStacks net;
  auto client = net.connect(19);
  ASSERT_TRUE(net.run_until([&] { return !client->received.empty(); },
                            [&](Instant now) { return client->step(now); }));
  net.services().stop(net.now());
  EXPECT_EQ(net.services().session_count(), 0u);
  EXPECT_TRUE(net.services().listening().empty());
  // The connection ends for the client too (FIN after the queued data, or a reset).
  ASSERT_TRUE(net.run_until([&] { return client->end_of_stream || client->error; },
                            [&](Instant now) { return client->step(now); }));
}

TEST(Services, StartFailsOnAPortInUse) {
  TwoStacks net;  // already listening on the default ports
  Services second{net.server().tcp(), "test", net.now()};
  const auto started = second.start(config::ServicesConfig{});
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error(), "service echo: listen on port 7: address in use");
  EXPECT_TRUE(second.listening().empty());
}

}  // namespace
}  // namespace tapstack::daemon::services
