/* tdopt cluster runtime: C interface (DMA, barrier, cores, counters, output). */
#ifndef TDRT_H
#define TDRT_H
#include <stdint.h>

#include "tdrt_regs.h"

#define TDRT_REG(off) (*(volatile uint32_t *)(TDRT_PERIPH_BASE + (off)))

/* Place a variable in a memory tier: TDRT_L1 float buf[256]; */
#define TDRT_L1 __attribute__((section(".l1"), aligned(8)))
#define TDRT_L2 __attribute__((section(".l2"), aligned(8)))
#define TDRT_L3 __attribute__((section(".l3"), aligned(8)))

static inline uint32_t tdrt_core_id(void) {
    uint32_t id;
    __asm__ volatile("csrr %0, mhartid" : "=r"(id));
    return id;
}

static inline uint32_t tdrt_num_cores(void) { return TDRT_REG(TDRT_REG_NUM_CORES); }

/* Wait until every active core has reached a barrier (no spinning: the load stalls). */
static inline void tdrt_barrier(void) {
    __asm__ volatile("" ::: "memory");
    (void)TDRT_REG(TDRT_REG_BARRIER);
    __asm__ volatile("" ::: "memory");
}

/* Start a 1-D transfer of len bytes between any two tiers; returns its id. */
static inline uint32_t tdrt_dma_start_1d(void *dst, const void *src, uint32_t len) {
    TDRT_REG(TDRT_REG_DMA_SRC) = (uint32_t)src;
    TDRT_REG(TDRT_REG_DMA_DST) = (uint32_t)dst;
    TDRT_REG(TDRT_REG_DMA_LEN) = len;
    TDRT_REG(TDRT_REG_DMA_ROWS) = 1;
    return TDRT_REG(TDRT_REG_DMA_START);
}

/* Start a 2-D transfer: rows rows of row_len bytes, strides in bytes. */
static inline uint32_t tdrt_dma_start_2d(void *dst, const void *src, uint32_t row_len,
                                         uint32_t rows, uint32_t dst_stride,
                                         uint32_t src_stride) {
    TDRT_REG(TDRT_REG_DMA_SRC) = (uint32_t)src;
    TDRT_REG(TDRT_REG_DMA_DST) = (uint32_t)dst;
    TDRT_REG(TDRT_REG_DMA_LEN) = row_len;
    TDRT_REG(TDRT_REG_DMA_ROWS) = rows;
    TDRT_REG(TDRT_REG_DMA_DST_STRIDE) = dst_stride;
    TDRT_REG(TDRT_REG_DMA_SRC_STRIDE) = src_stride;
    return TDRT_REG(TDRT_REG_DMA_START);
}

static inline int tdrt_dma_done(uint32_t id) {
    return (int32_t)(TDRT_REG(TDRT_REG_DMA_DONE) - id) > 0;
}

/* Block until transfer id is complete (the load stalls the core). */
static inline void tdrt_dma_wait(uint32_t id) {
    TDRT_REG(TDRT_REG_DMA_WAIT_ID) = id;
    (void)TDRT_REG(TDRT_REG_DMA_WAIT);
    __asm__ volatile("" ::: "memory");
}

static inline void tdrt_dma_wait_all(void) {
    (void)TDRT_REG(TDRT_REG_DMA_WAIT_ALL);
    __asm__ volatile("" ::: "memory");
}

static inline uint64_t tdrt_cycles(void) {
    uint32_t hi, lo;
    do {
        hi = TDRT_REG(TDRT_REG_CYCLES_HI);
        lo = TDRT_REG(TDRT_REG_CYCLES_LO);
    } while (hi != TDRT_REG(TDRT_REG_CYCLES_HI));
    return ((uint64_t)hi << 32) | lo;
}

/* Counter TDRT_CNT_* of a core (low 32 bits). */
static inline uint32_t tdrt_core_counter(uint32_t core, uint32_t which) {
    return TDRT_REG(TDRT_REG_CORE_CNT + 0x40 * core + 4 * which);
}

/* Bytes the DMA has moved from tier src to tier dst (0 = L1, 1 = L2, 2 = L3). */
static inline uint32_t tdrt_dma_bytes(uint32_t src, uint32_t dst) {
    return TDRT_REG(TDRT_REG_DMA_BYTES + 4 * (3 * src + dst));
}

static inline void tdrt_putchar(int c) { TDRT_REG(TDRT_REG_PUTCHAR) = (uint32_t)c; }

static inline void tdrt_puts(const char *s) {
    while (*s) tdrt_putchar(*s++);
}

static inline __attribute__((noreturn)) void tdrt_exit(int code) {
    TDRT_REG(TDRT_REG_EOC) = (uint32_t)code;
    for (;;) {
    }
}

/* Run fn(arg) on every active core, core 0 included, and return when all are
 * done (fork/join, defined in crt0.S). Call from core 0 outside a parallel region. */
void tdrt_parallel(void (*fn)(void *), void *arg);

#endif
