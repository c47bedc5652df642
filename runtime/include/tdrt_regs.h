/* tdopt cluster: memory map and peripheral register offsets.
 * Plain #defines only, so this file is shared by C programs (tdrt.h), assembly
 * (tdrt.inc, through the C preprocessor) and the C++ testbench. */
#ifndef TDRT_REGS_H
#define TDRT_REGS_H

#define TDRT_L1_BASE        0x10000000
#define TDRT_L1_MAX_SIZE    0x00040000 /* 256 KiB; the active size is chosen per run */
#define TDRT_PERIPH_BASE    0x10200000
#define TDRT_PERIPH_SIZE    0x00001000
#define TDRT_L2_BASE        0x1C000000
#define TDRT_L2_SIZE        0x00200000 /* 2 MiB */
#define TDRT_L3_BASE        0x80000000
#define TDRT_L3_SIZE        0x00800000 /* 8 MiB, reached only by the DMA */
#define TDRT_L1_BANKS       16

/* Cluster control (offsets from TDRT_PERIPH_BASE). */
#define TDRT_REG_EOC        0x000 /* W: end of computation, value = exit code */
#define TDRT_REG_PUTCHAR    0x004 /* W: low byte appended to the output */
#define TDRT_REG_NUM_CORES  0x008 /* R: number of active cores */
#define TDRT_REG_CORE_ID    0x00C /* R: id of the reading core */
#define TDRT_REG_L1_SIZE    0x010 /* R: active L1 size in bytes */
#define TDRT_REG_BARRIER    0x014 /* R: blocks until all active cores read it; returns round */
#define TDRT_REG_TRAP_CAUSE 0x020 /* W: mcause of a trap (written by the crt0 trap handler) */
#define TDRT_REG_TRAP_TVAL  0x024 /* W: mtval of the trap */
#define TDRT_REG_TRAP_PC    0x028 /* W: mepc of the trap; the write stops the run */

/* DMA: configuration registers are per core (each core programs its own copy). */
#define TDRT_REG_DMA_SRC        0x100 /* W: source address */
#define TDRT_REG_DMA_DST        0x104 /* W: destination address */
#define TDRT_REG_DMA_LEN        0x108 /* W: bytes per row (the whole length for 1-D) */
#define TDRT_REG_DMA_SRC_STRIDE 0x10C /* W: bytes between source row starts (2-D) */
#define TDRT_REG_DMA_DST_STRIDE 0x110 /* W: bytes between destination row starts (2-D) */
#define TDRT_REG_DMA_ROWS       0x114 /* W: number of rows, 1 for 1-D */
#define TDRT_REG_DMA_START      0x118 /* R: queue the transfer, return its id (blocks while the queue is full) */
#define TDRT_REG_DMA_DONE       0x11C /* R: number of completed transfers (id n is done when DONE > n) */
#define TDRT_REG_DMA_WAIT_ID    0x120 /* W: id for TDRT_REG_DMA_WAIT */
#define TDRT_REG_DMA_WAIT       0x124 /* R: blocks until transfer WAIT_ID is complete */
#define TDRT_REG_DMA_WAIT_ALL   0x128 /* R: blocks until the DMA queue is empty */
#define TDRT_DMA_QUEUE_DEPTH    8

/* Counters (read-only, 32-bit views of 64-bit counters). */
#define TDRT_REG_CYCLES_LO  0x200
#define TDRT_REG_CYCLES_HI  0x204
#define TDRT_REG_DMA_BYTES  0x240 /* + 4 * (3 * src_tier + dst_tier), tiers L1=0 L2=1 L3=2 */
#define TDRT_REG_CORE_CNT   0x400 /* + 0x40 * core + 4 * TDRT_CNT_* */
#define TDRT_CNT_INSTRET     0 /* retired instructions */
#define TDRT_CNT_FP_OPS      1 /* instructions executed by the FPU (not flw/fsw) */
#define TDRT_CNT_STALL_LOAD  2 /* load-use stall cycles */
#define TDRT_CNT_STALL_FPU   3 /* FPU dependency / contention / write-back stall cycles */
#define TDRT_CNT_STALL_BANK  4 /* cycles an L1 request lost bank arbitration */
#define TDRT_CNT_WAIT_L2     5 /* cycles with an L2 access queued or in flight */
#define TDRT_CNT_WAIT_SYNC   6 /* cycles blocked in barrier / DMA wait / full DMA queue */
#define TDRT_NUM_CORE_CNT    7

#endif
