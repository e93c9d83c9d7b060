/* backend.c: helpers shared by every environment backend. */
#include "gateway/backend.h"

const char *
env_phase_name(enum env_phase p)
{
	switch (p) {
	case ENV_ABSENT:
		return "absent";
	case ENV_PENDING:
		return "pending";
	case ENV_RUNNING:
		return "running";
	case ENV_STOPPING:
		return "stopping";
	case ENV_FAILED:
		return "failed";
	}
	return "unknown";
}
