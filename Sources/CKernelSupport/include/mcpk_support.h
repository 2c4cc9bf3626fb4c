#ifndef MCPK_SUPPORT_H
#define MCPK_SUPPORT_H
#include <spawn.h>
#include <stdint.h>
#include <sys/types.h>

/** Peer credentials of a connected Unix socket (SO_PEERCRED). Returns 0 on success, -errno on failure. */
int mcpk_peer_credentials(int fd, pid_t *pid, uid_t *uid, gid_t *gid);

/** Sets PR_SET_NO_NEW_PRIVS on the calling process. Returns 0 or -errno. */
int mcpk_set_no_new_privs(void);

/** Sets PR_SET_PDEATHSIG so the calling process gets `sig` when its parent dies. Returns 0 or -errno. */
int mcpk_set_parent_death_signal(int sig);

/** Adds "close every descriptor >= from" to `actions` (glibc's
    posix_spawn_file_actions_addclosefrom_np). Returns 0 or an errno value. */
int mcpk_spawn_actions_close_from(posix_spawn_file_actions_t *actions, int from);

/** Resident set size of this process in bytes, from /proc/self/statm; 0 when unknown. */
uint64_t mcpk_resident_bytes(void);



/** Sends `len` bytes of `buf` on the connected Unix socket `sock` with `nfds`
    descriptors attached (SCM_RIGHTS, at most 8). The descriptors stay open in the
    caller (the receiver gets its own copies). Returns the bytes sent or -errno.
    Used to hand a warm runner the pipes of one step attempt. */
long mcpk_send_with_fds(int sock, const void *buf, size_t len, const int *fds, int nfds);

/** Creates a pipe with both ends close-on-exec. Returns 0 or -errno. */
int mcpk_pipe_cloexec(int fds[2]);

/** Unblocks every signal on the calling thread (a daemon must not inherit a
    parent's blocked mask: SIGTERM would never arrive). Call before starting threads. */
void mcpk_unblock_all_signals(void);
#endif
