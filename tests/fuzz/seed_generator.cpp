// Writes the stack fuzzer's seed corpus: frames that stack A really sends to stack B in the
// fuzz world (fuzz_network.hpp) during a few scenarios, plus hand-built ARP, ICMP and UDP frames.
// Run after changing the fuzz world or the stack's output:  fuzz_seed_generator DIR
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "fuzz_frames.hpp"
#include "fuzz_network.hpp"
#include "support/frames.hpp"

namespace tapstack::fuzz {
namespace {

using std::chrono::milliseconds;

const MacAddr kMacA{{0x02, 0, 0, 0, 0, 0x0a}};
const MacAddr kMacB{{0x02, 0, 0, 0, 0, 0x0b}};

// Records what A sends to B while `scenario` drives the world.
std::vector<std::byte> record(const std::function<void(FuzzNetwork&)>& scenario) {
  FuzzNetwork world;
  std::vector<std::byte> out;
  Instant last = world.net().now();
  world.net().observe_frames([&](bool a_to_b, wire::Bytes frame, Instant now) {
    if (!a_to_b) return;
    const auto step = std::chrono::duration_cast<milliseconds>(now - last).count();
    append_record(out, 0, static_cast<std::uint8_t>(std::min<long>(step, 255)), frame);
    last = now;
  });
  scenario(world);
  return out;
}

std::vector<std::byte> crafted(const std::vector<test::Frame>& frames) {
  std::vector<std::byte> out;
  for (const auto& frame : frames) append_record(out, kFixChecksums, 1, frame);
  return out;
}

test::Frame ip_frame(std::uint8_t protocol, wire::Bytes payload, std::uint16_t id = 7) {
  const auto packet =
      test::ipv4_packet(test::ip_header(sim::kAddrA, sim::kAddrB, protocol, id), payload);
  return test::ethernet(kMacB, kMacA, wire::EtherType::ipv4, packet);
}

void write(const std::string& dir, const std::string& name, const std::vector<std::byte>& data) {
  std::ofstream file(dir + "/" + name, std::ios::binary);
  file.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  std::printf("%s/%s: %zu bytes\n", dir.c_str(), name.c_str(), data.size());
}

}  // namespace
}  // namespace tapstack::fuzz

int main(int argc, char** argv) {
  using namespace tapstack;
  using namespace tapstack::fuzz;
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_seed_generator CORPUS_DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  write(dir, "tcp_data_and_close", record([](FuzzNetwork& w) {
          std::vector<std::byte> data(5000, std::byte{0x41});
          (void)w.net().a().tcp().send(w.client(), data, w.net().now());
          w.run(milliseconds(100));
          w.net().a().tcp().close(w.client(), w.net().now());
          w.run(milliseconds(1000));
        }));
  write(dir, "tcp_new_connection", record([](FuzzNetwork& w) {
          const auto s = w.net().a().tcp().connect({}, {sim::kAddrB, 7}, {}, w.net().now());
          w.run(milliseconds(10));
          std::vector<std::byte> data(3000, std::byte{0x42});
          (void)w.net().a().tcp().send(*s, data, w.net().now());
          w.run(milliseconds(50));
          w.net().a().tcp().shutdown_send(*s, w.net().now());
          w.run(milliseconds(500));
        }));
  write(dir, "tcp_refused_and_reset", record([](FuzzNetwork& w) {
          (void)w.net().a().tcp().connect({}, {sim::kAddrB, 81}, {}, w.net().now());
          w.run(milliseconds(10));
          w.net().a().tcp().abort(w.client(), w.net().now());
          w.run(milliseconds(10));
        }));
  const auto echo = test::icmp_message(8, 0, 0x12340001, test::pattern(64));
  const std::vector<std::byte> udp{std::byte{0x30}, std::byte{0x39}, std::byte{0x00},
                                   std::byte{0x35}, std::byte{0x00}, std::byte{0x0c},
                                   std::byte{0},    std::byte{0},    std::byte{'d'},
                                   std::byte{'n'},  std::byte{'s'},  std::byte{'?'}};
  write(dir, "arp_icmp_udp",
        crafted({
            test::arp_frame(wire::ArpOp::request, kMacA, sim::kAddrA, MacAddr{}, sim::kAddrB),
            ip_frame(1, echo),
            ip_frame(17, udp),
            ip_frame(253, udp),
        }));
  return 0;
}
