#include "shim/libc_calls.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace tapstack::shim {

void* next_symbol(const char* name) {
  void* symbol = ::dlsym(RTLD_NEXT, name);
  if (symbol == nullptr) {
    const char prefix[] = "tapstack shim: the C library has no ";
    (void)!::write(2, prefix, sizeof prefix - 1);
    (void)!::write(2, name, std::strlen(name));
    (void)!::write(2, "\n", 1);
    std::abort();
  }
  return symbol;
}

namespace {

LibcCalls load() {
  LibcCalls c{};
  resolve_next(c.socket, "socket");
  resolve_next(c.bind, "bind");
  resolve_next(c.listen, "listen");
  resolve_next(c.connect, "connect");
  resolve_next(c.accept, "accept");
  resolve_next(c.accept4, "accept4");
  resolve_next(c.getsockname, "getsockname");
  resolve_next(c.getpeername, "getpeername");
  resolve_next(c.setsockopt, "setsockopt");
  resolve_next(c.getsockopt, "getsockopt");
  resolve_next(c.shutdown, "shutdown");
  resolve_next(c.read, "read");
  resolve_next(c.readv, "readv");
  resolve_next(c.recv, "recv");
  resolve_next(c.recvfrom, "recvfrom");
  resolve_next(c.recvmsg, "recvmsg");
  resolve_next(c.sendto, "sendto");
  resolve_next(c.sendmsg, "sendmsg");
  resolve_next(c.write, "write");
  resolve_next(c.writev, "writev");
  resolve_next(c.send, "send");
  resolve_next(c.sendmmsg, "sendmmsg");
  resolve_next(c.recvmmsg, "recvmmsg");
  resolve_next(c.ioctl, "ioctl");
  return c;
}

}  // namespace

const LibcCalls& libc() {
  static const LibcCalls calls = load();  // thread-safe initialisation (C++11)
  return calls;
}

}  // namespace tapstack::shim
