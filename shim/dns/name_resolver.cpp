#include "shim/dns/name_resolver.hpp"

#include <netdb.h>
#include <sys/random.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <optional>

#include "shim/dns/hosts_file.hpp"

namespace tapstack::dns {
namespace {

// What the servers said about one name, after all servers and attempts.
enum class Outcome { found, no_data, nxdomain, server_failure, timed_out, unusable };

struct NameAnswer {
  Outcome outcome = Outcome::timed_out;
  Response response;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string local_hostname() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return {};
  return name;
}

// One query to one server: its response, or nothing (timed out, or the server is unreachable).
std::optional<Response> exchange(const WireName& name, Ipv4Address server,
                                 const ResolverConfig& config, const Transport& transport,
                                 const QueryIdSource& next_id) {
  const std::uint16_t id = next_id();
  const auto query = build_query(name, id);
  Response response;
  const auto accept = [&](std::span<const std::uint8_t> reply) {
    response = parse_response(reply, id, name);
    return response.status != ResponseStatus::mismatch;
  };
  const auto timeout = std::chrono::seconds(config.timeout_seconds);
  if (transport(server, query, timeout, accept) != TransportStatus::answered) return std::nullopt;
  return response;
}

// res_send: each server in order, `attempts` rounds. A timeout or an unreachable server moves on
// to the next server, and so does an answer that another server may improve on (SERVFAIL, a
// refusal, a truncated or unreadable answer); such a server is not asked again.
NameAnswer ask_servers(const WireName& name, const ResolverConfig& config,
                       const Transport& transport, const QueryIdSource& next_id) {
  std::vector<bool> gave_up(config.nameservers.size(), false);
  bool server_failure = false;
  bool unusable = false;
  for (int attempt = 0; attempt < config.attempts; ++attempt) {
    for (std::size_t server = 0; server < config.nameservers.size(); ++server) {
      if (gave_up[server]) continue;
      auto response = exchange(name, config.nameservers[server], config, transport, next_id);
      if (!response) continue;
      switch (response->status) {
        case ResponseStatus::ok:
          return {Outcome::found, std::move(*response)};
        case ResponseStatus::no_data:
          return {Outcome::no_data, {}};
        case ResponseStatus::nxdomain:
          return {Outcome::nxdomain, {}};
        case ResponseStatus::mismatch:  // not passed by `accept`
          continue;
        case ResponseStatus::server_failure:
        case ResponseStatus::rejected:  // glibc's send_dg treats REFUSED and NOTIMP as SERVFAIL
          server_failure = true;
          break;
        case ResponseStatus::truncated:
        case ResponseStatus::malformed:
          unusable = true;
          break;
      }
      gave_up[server] = true;
    }
  }
  if (server_failure) return {Outcome::server_failure, {}};
  return {unusable ? Outcome::unusable : Outcome::timed_out, {}};
}

Resolved found(std::string_view candidate, Response& response) {
  Resolved resolved{std::move(response.addresses), std::move(response.canonical_name), {}};
  std::string_view asked = candidate;
  if (asked.ends_with('.')) asked.remove_suffix(1);
  if (asked != resolved.canonical_name) resolved.aliases.emplace_back(asked);
  return resolved;
}

int error_of(Outcome outcome) {
  switch (outcome) {
    case Outcome::server_failure:
    case Outcome::timed_out:
      return EAI_AGAIN;
    case Outcome::unusable:
      return EAI_FAIL;
    case Outcome::found:
    case Outcome::no_data:
    case Outcome::nxdomain:
      break;
  }
  return EAI_NONAME;
}

}  // namespace

Resolution query_dns(std::string_view name, const ResolverConfig& config,
                     const Transport& transport, const QueryIdSource& next_id) {
  // res_search (glibc's res_query.c): NXDOMAIN, no data and SERVFAIL go on with the next
  // candidate; a timeout or an unusable answer ends the search. When the name was tried as is
  // first, its error is the one reported; otherwise "no data" wins over SERVFAIL.
  const auto candidates = search_candidates(name, config);
  std::optional<int> as_is_error;
  bool no_data = false;
  bool server_failure = false;
  for (const std::string& candidate : candidates) {
    const auto wire = encode_name(candidate);
    if (!wire) continue;  // too long with this search domain, or an empty label
    NameAnswer answer = ask_servers(*wire, config, transport, next_id);
    if (answer.outcome == Outcome::found) return found(candidate, answer.response);
    const int error = error_of(answer.outcome);
    if (&candidate == &candidates.front() && candidate == name) as_is_error = error;
    if (answer.outcome == Outcome::timed_out || answer.outcome == Outcome::unusable) {
      return unexpected(as_is_error.value_or(error));
    }
    no_data |= answer.outcome == Outcome::no_data;
    server_failure |= answer.outcome == Outcome::server_failure;
  }
  if (as_is_error) return unexpected(*as_is_error);
  if (!no_data && server_failure) return unexpected(EAI_AGAIN);
  return unexpected(EAI_NONAME);
}

Resolution resolve_ipv4(std::string_view name, const ResolverFiles& files,
                        const Transport& transport, const QueryIdSource& next_id) {
  if (name.empty()) return unexpected(EAI_NONAME);
  if (auto match = find_in_hosts(read_file(files.hosts), name)) {
    return Resolved{std::move(match->addresses), std::move(match->canonical_name),
                    std::move(match->aliases)};
  }
  const auto config = parse_resolv_conf(read_file(files.resolv_conf), local_hostname());
  return query_dns(name, config, transport, next_id);
}

Resolution resolve_ipv4(std::string_view name) {
  return resolve_ipv4(name, ResolverFiles{}, udp_exchange, random_query_id);
}

std::uint16_t random_query_id() {
  std::uint16_t id = 0;
  if (::getrandom(&id, sizeof id, GRND_NONBLOCK) == static_cast<ssize_t>(sizeof id)) return id;
  std::ifstream urandom("/dev/urandom", std::ios::binary);
  urandom.read(reinterpret_cast<char*>(&id), sizeof id);
  return id;
}

}  // namespace tapstack::dns
