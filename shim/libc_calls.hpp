// The C library's own socket functions, found with dlsym(RTLD_NEXT): what the shim calls for
// every fd and family that is not a tapstack socket, and for its own I/O.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

namespace tapstack::shim {

struct LibcCalls {
  int (*socket)(int, int, int);
  int (*bind)(int, const sockaddr*, socklen_t);
  int (*listen)(int, int);
  int (*connect)(int, const sockaddr*, socklen_t);
  int (*accept)(int, sockaddr*, socklen_t*);
  int (*accept4)(int, sockaddr*, socklen_t*, int);
  int (*getsockname)(int, sockaddr*, socklen_t*);
  int (*getpeername)(int, sockaddr*, socklen_t*);
  int (*setsockopt)(int, int, int, const void*, socklen_t);
  int (*getsockopt)(int, int, int, void*, socklen_t*);
  int (*shutdown)(int, int);
  ssize_t (*read)(int, void*, size_t);
  ssize_t (*readv)(int, const iovec*, int);
  ssize_t (*recv)(int, void*, size_t, int);
  ssize_t (*recvfrom)(int, void*, size_t, int, sockaddr*, socklen_t*);
  ssize_t (*recvmsg)(int, msghdr*, int);
  ssize_t (*sendto)(int, const void*, size_t, int, const sockaddr*, socklen_t);
  ssize_t (*sendmsg)(int, const msghdr*, int);
  ssize_t (*write)(int, const void*, size_t);
  ssize_t (*writev)(int, const iovec*, int);
  ssize_t (*send)(int, const void*, size_t, int);
  int (*sendmmsg)(int, mmsghdr*, unsigned int, int);
  int (*recvmmsg)(int, mmsghdr*, unsigned int, int, timespec*);
  int (*ioctl)(int, unsigned long, ...);
};

// Resolved once, on first use; aborts with a message if the C library lacks one of them.
const LibcCalls& libc();

// The next definition of `name` after the shim (dlsym RTLD_NEXT): the C library's. Aborts with
// a message when there is none: the shim cannot work without the function it wraps.
void* next_symbol(const char* name);

template <typename F>
void resolve_next(F*& target, const char* name) {
  target = reinterpret_cast<F*>(next_symbol(name));
}

}  // namespace tapstack::shim
