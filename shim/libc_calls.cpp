#include "shim/libc_calls.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace tapstack::shim {
namespace {

template <typename F>
void resolve(F*& target, const char* name) {
  void* symbol = ::dlsym(RTLD_NEXT, name);
  if (symbol == nullptr) {
    const char prefix[] = "tapstack shim: the C library has no ";
    (void)!::write(2, prefix, sizeof prefix - 1);
    (void)!::write(2, name, std::strlen(name));
    (void)!::write(2, "\n", 1);
    std::abort();
  }
  target = reinterpret_cast<F*>(symbol);
}

LibcCalls load() {
  LibcCalls c{};
  resolve(c.socket, "socket");
  resolve(c.bind, "bind");
  resolve(c.listen, "listen");
  resolve(c.connect, "connect");
  resolve(c.accept, "accept");
  resolve(c.accept4, "accept4");
  resolve(c.getsockname, "getsockname");
  resolve(c.getpeername, "getpeername");
  resolve(c.setsockopt, "setsockopt");
  resolve(c.getsockopt, "getsockopt");
  resolve(c.shutdown, "shutdown");
  resolve(c.read, "read");
  resolve(c.readv, "readv");
  resolve(c.recv, "recv");
  resolve(c.recvfrom, "recvfrom");
  resolve(c.recvmsg, "recvmsg");
  resolve(c.sendto, "sendto");
  resolve(c.sendmsg, "sendmsg");
  resolve(c.write, "write");
  resolve(c.writev, "writev");
  resolve(c.send, "send");
  resolve(c.sendmmsg, "sendmmsg");
  resolve(c.recvmmsg, "recvmmsg");
  resolve(c.ioctl, "ioctl");
  return c;
}

}  // namespace

const LibcCalls& libc() {
  static const LibcCalls calls = load();  // thread-safe initialisation (C++11)
  return calls;
}

}  // namespace tapstack::shim
