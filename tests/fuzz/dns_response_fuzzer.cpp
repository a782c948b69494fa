// libFuzzer target: arbitrary bytes as the DNS response to an A query for www.example.test
// (shim/dns/dns_message.hpp), with the query id taken from the input so that every input gets
// past the id check. A response is untrusted network input: it must never crash, read out of
// bounds or loop, and addresses come only with `ok`. The same bytes also go through the
// resolv.conf and hosts readers.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "shim/dns/dns_message.hpp"
#include "shim/dns/hosts_file.hpp"
#include "shim/dns/resolv_conf.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tapstack::dns;
  static const WireName name = encode_name("www.example.test").value();
  const std::span<const std::uint8_t> message(data, size);
  const std::uint16_t id = size >= 2 ? static_cast<std::uint16_t>((data[0] << 8) | data[1]) : 0;
  const Response response = parse_response(message, id, name);
  if ((response.status == ResponseStatus::ok) == response.addresses.empty()) __builtin_trap();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const ResolverConfig config = parse_resolv_conf(text, "host.example.test");
  if (config.nameservers.empty() || config.nameservers.size() > kMaxNameservers) __builtin_trap();
  (void)search_candidates("www", config);
  (void)find_in_hosts(text, "www.example.test");
  return 0;
}
