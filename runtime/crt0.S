/* tdopt cluster start-up code.
 * Every core starts at _start: stack at the top of L1 (per core), mtvec,
 * mstatus.FS. Core 0 then runs main() and ends the run with its return value
 * as exit code; the other cores wait in tdrt_worker_loop for parallel regions
 * started by tdrt_parallel (fork/join on the hardware barrier).
 * Memory starts zeroed in the simulator, so .bss needs no clearing. */
#include "tdrt_regs.h"

    .section .text.init, "ax"
    .globl _start
_start:
    la      t0, tdrt_trap_handler
    csrw    mtvec, t0
    li      t0, 0x6000              /* mstatus.FS = dirty: enable the FPU */
    csrs    mstatus, t0
    fscsr   x0
.option push
.option norelax
    la      gp, __global_pointer$
.option pop
    /* sp = L1 base + active L1 size - core id * stack size */
    li      t0, TDRT_PERIPH_BASE
    lw      t1, TDRT_REG_L1_SIZE(t0)
    li      sp, TDRT_L1_BASE
    add     sp, sp, t1
    csrr    t2, mhartid
    la      t3, __tdrt_stack_size
    mul     t3, t3, t2
    sub     sp, sp, t3
    bnez    t2, tdrt_worker_loop

    li      a0, 0
    li      a1, 0
    call    main
    li      t0, TDRT_PERIPH_BASE
    sw      a0, TDRT_REG_EOC(t0)
1:  j       1b

/* Cores 1..N-1: fork barrier, run the dispatched function, join barrier. */
tdrt_worker_loop:
    li      t0, TDRT_PERIPH_BASE
    lw      t0, TDRT_REG_BARRIER(t0)    /* fork */
    la      t0, __tdrt_dispatch
    lw      t1, 0(t0)
    lw      a0, 4(t0)
    jalr    t1
    li      t0, TDRT_PERIPH_BASE
    lw      t0, TDRT_REG_BARRIER(t0)    /* join */
    j       tdrt_worker_loop

/* void tdrt_parallel(void (*fn)(void *), void *arg): run fn(arg) on all cores. */
    .text
    .globl tdrt_parallel
tdrt_parallel:
    addi    sp, sp, -16
    sw      ra, 12(sp)
    sw      s0, 8(sp)
    la      t0, __tdrt_dispatch
    sw      a0, 0(t0)
    sw      a1, 4(t0)
    mv      s0, a0
    li      t0, TDRT_PERIPH_BASE
    lw      t0, TDRT_REG_BARRIER(t0)    /* fork: the workers read the dispatch word */
    mv      a0, a1
    jalr    s0
    li      t0, TDRT_PERIPH_BASE
    lw      t0, TDRT_REG_BARRIER(t0)    /* join */
    lw      s0, 8(sp)
    lw      ra, 12(sp)
    addi    sp, sp, 16
    ret

/* void tdrt_call_block(const uint32_t *block): calls block[0] with
 * block[1..8] in a0..a7 (a kernel and its buffers' addresses: the blocks
 * tdopt's forks pass to tdrt_parallel, cluster.fork_args). A tail jump: the
 * kernel returns to tdrt_parallel or to the worker loop. */
    .text
    .p2align 2
    .globl tdrt_call_block
tdrt_call_block:
    mv      t0, a0
    lw      t1, 0(t0)
    lw      a0, 4(t0)
    lw      a1, 8(t0)
    lw      a2, 12(t0)
    lw      a3, 16(t0)
    lw      a4, 20(t0)
    lw      a5, 24(t0)
    lw      a6, 28(t0)
    lw      a7, 32(t0)
    jr      t1

/* Any exception: report mcause, mtval and mepc to the testbench, which stops the run.
 * CV32E40P keeps only mtvec[31:8]: the handler must be 256-byte aligned. */
    .align 8
    .globl tdrt_trap_handler
tdrt_trap_handler:
    li      t0, TDRT_PERIPH_BASE
    csrr    t1, mcause
    sw      t1, TDRT_REG_TRAP_CAUSE(t0)
    csrr    t1, mtval
    sw      t1, TDRT_REG_TRAP_TVAL(t0)
    csrr    t1, mepc
    sw      t1, TDRT_REG_TRAP_PC(t0)
1:  j       1b

    .section .bss
    .align 3
    .globl __tdrt_dispatch
__tdrt_dispatch:                        /* function pointer, argument */
    .space 8
