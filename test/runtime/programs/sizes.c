/* Exit code = 1000 * active cores + active L1 size in KiB (from the registers). */
#include "tdrt.h"

int main(void) {
    return (int)(1000 * tdrt_num_cores() + TDRT_REG(TDRT_REG_L1_SIZE) / 1024);
}
