/* k8s-probe.h: state shared by the k8s-probe test program's files. */
#ifndef DG_K8S_PROBE_H
#define DG_K8S_PROBE_H

#include <stdint.h>

#include "gateway/backend.h"

struct loop;
struct loop_timer;

struct probe {
	struct loop		*loop;
	struct backend		*b;
	struct backend_op	*op;
	struct loop_timer	*timer;		/* polling for wait */
	struct loop_timer	*guard;		/* overall deadline */
	int			 timeout_code;
	int			 exit_code;
	const char		*env, *owner, *want_phase;
	uint64_t		 deadline;
	const char		*gate;		/* rot: file to wait for */
	int			 rot_round;
	struct bstream		*rot_stream;
};

extern struct probe P;

void	 probe_finish(int code);
/* exec, pf, bench, idle */
int	 probe_stream_cmd(int argc, char **argv);
void	 probe_stream_cleanup(void);
/* cancel, closecb, freecb */
int	 probe_life_cmd(int argc, char **argv);
void	 probe_life_cleanup(void);

#endif
