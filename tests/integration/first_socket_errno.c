/* Run under tapstack-run by test_servers: the program's first socket call, inside which the shim
 * sets itself up, leaves errno as it was when it succeeds, as the kernel's socket(2) does.
 * Prints errno after the call; exits 0 when it is unchanged. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>

int main(void) {
  errno = 0;
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  const int after = errno;
  if (fd < 0) {
    perror("socket");
    return 2;
  }
  printf("errno %d\n", after);
  return after == 0 ? 0 : 1;
}
