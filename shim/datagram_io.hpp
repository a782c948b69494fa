// The data path of tapstack UDP sockets (ipc/PROTOCOL.md §5): the socket is one end of a Unix
// seqpacket pair and every packet is an 8-byte header (address, port, flags) and the datagram.
// These functions add and strip that header so that the program sees udp(7) semantics:
// addresses in msg_name, MSG_TRUNC, EMSGSIZE, and asynchronous errors (ECONNREFUSED after an
// ICMP port unreachable) returned by the next receive call.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

namespace tapstack::shim {

// sendmsg(2) on a tapstack UDP socket: msg_name (may be null: the connected peer) and msg_iov.
// Returns the payload bytes sent, or -1 with errno.
ssize_t send_datagram(int fd, const msghdr& message, int flags);

// recvmsg(2) on a tapstack UDP socket: fills msg_iov, msg_name/msg_namelen (the source) and
// msg_flags (MSG_TRUNC). Returns the payload bytes (the whole datagram's size with MSG_TRUNC),
// 0 at end of stream after shutdown, or -1 with errno.
ssize_t receive_datagram(int fd, msghdr& message, int flags);

// SO_ERROR on a tapstack UDP socket: an error packet at the head of the channel, consumed (as
// SO_ERROR clears the error); 0 when the next packet is a datagram or there is none.
int take_datagram_error(int fd);

// FIONREAD on a tapstack UDP socket: the size of the next datagram, 0 when there is none.
int next_datagram_size(int fd);

}  // namespace tapstack::shim
