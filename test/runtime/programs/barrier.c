/* 1000 barrier rounds on all cores: in every round each core writes the round
 * number into its slot, and after the barrier checks every slot. Any core that
 * sees a stale or future value counts an error. */
#include "tdrt.h"

#define ROUNDS 1000

TDRT_L1 volatile uint32_t slot[8];
uint32_t errors[8];
uint32_t rounds_done[8];

static void rounds(void *arg) {
    (void)arg;
    uint32_t id = tdrt_core_id(), n = tdrt_num_cores();
    for (uint32_t r = 1; r <= ROUNDS; r++) {
        slot[id] = r;
        tdrt_barrier();
        for (uint32_t c = 0; c < n; c++)
            if (slot[c] != r) errors[id]++;
        tdrt_barrier(); /* nobody writes round r+1 before everyone has checked round r */
        rounds_done[id] = r;
    }
}

int main(void) {
    tdrt_parallel(rounds, 0);
    return 0;
}
