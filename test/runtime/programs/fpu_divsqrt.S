/* fdiv.s / fsqrt.s on every active core, plus their latency on core 0.
 *
 * Inputs (run_elf write_symbols): n (<= 512), frm (rounding mode, 0..4),
 * div_a, div_b, sqrt_x.
 * In a parallel region core c computes, for i = c, c + cores, ... < n,
 *     div_q[i] = div_a[i] / div_b[i],   div_flags[i]  = fflags of that fdiv.s
 *     sqrt_r[i] = sqrt(sqrt_x[i]),      sqrt_flags[i] = fflags of that fsqrt.s
 * with the rounding mode frm (dynamic rounding, set by fsrm on each core).
 * Then core 0 times each operation alone: with the cycle counter read before
 * the operation and after an fsw of its result (which waits for the result),
 *     div_cyc[i], sqrt_cyc[i]   for fdiv.s / fsqrt.s on element i,
 *     cyc_nop, cyc_fadd         the same sequence with a nop / an fadd.s,
 * so the issue-to-use latency of an operation is cyc - cyc_nop + 1.
 * Exit code: the number of cores. */
#include "tdrt.inc"

    .text
    .globl main
main:
    addi    sp, sp, -16
    sw      ra, 12(sp)
    la      a0, work
    li      a2, 0
    TDRT_FORK a0, a2

    /* Latency, core 0 only. a5 = n, t6 = peripherals, a4 = scratch word. */
    la      t0, n
    lw      a5, 0(t0)
    li      t6, TDRT_PERIPH_BASE
    la      a4, scratch
    la      t0, frm
    lw      t0, 0(t0)
    fsrm    t0

    /* Reference sequences: nop and fadd.s in place of the operation. */
    fmv.w.x ft0, zero
    fmv.w.x ft1, zero
    fmv.w.x ft2, zero
    lw      t3, TDRT_REG_CYCLES_LO(t6)
    nop
    fsw     ft2, 0(a4)
    lw      t5, TDRT_REG_CYCLES_LO(t6)
    sub     t5, t5, t3
    la      t0, cyc_nop
    sw      t5, 0(t0)

    lw      t3, TDRT_REG_CYCLES_LO(t6)
    fadd.s  ft2, ft0, ft1
    fsw     ft2, 0(a4)
    lw      t5, TDRT_REG_CYCLES_LO(t6)
    sub     t5, t5, t3
    la      t0, cyc_fadd
    sw      t5, 0(t0)

    la      a0, div_a
    la      a1, div_b
    la      a2, div_cyc
    li      a3, 0
1:  bge     a3, a5, 2f
    flw     ft0, 0(a0)
    flw     ft1, 0(a1)
    lw      t3, TDRT_REG_CYCLES_LO(t6)
    fdiv.s  ft2, ft0, ft1
    fsw     ft2, 0(a4)
    lw      t5, TDRT_REG_CYCLES_LO(t6)
    sub     t5, t5, t3
    sw      t5, 0(a2)
    addi    a0, a0, 4
    addi    a1, a1, 4
    addi    a2, a2, 4
    addi    a3, a3, 1
    j       1b
2:
    la      a0, sqrt_x
    la      a2, sqrt_cyc
    li      a3, 0
1:  bge     a3, a5, 2f
    flw     ft0, 0(a0)
    lw      t3, TDRT_REG_CYCLES_LO(t6)
    fsqrt.s ft2, ft0
    fsw     ft2, 0(a4)
    lw      t5, TDRT_REG_CYCLES_LO(t6)
    sub     t5, t5, t3
    sw      t5, 0(a2)
    addi    a0, a0, 4
    addi    a2, a2, 4
    addi    a3, a3, 1
    j       1b
2:
    TDRT_NUM_CORES a0
    lw      ra, 12(sp)
    addi    sp, sp, 16
    ret

/* Parallel region: elements core_id, core_id + cores, ... */
work:
    la      t0, frm
    lw      t0, 0(t0)
    fsrm    t0
    TDRT_CORE_ID a3                 /* i */
    TDRT_NUM_CORES a6               /* stride */
    la      t0, n
    lw      a5, 0(t0)
    slli    a7, a6, 2               /* stride in bytes */
    slli    t1, a3, 2               /* offset of element i */
    la      a0, div_a
    add     a0, a0, t1
    la      a1, div_b
    add     a1, a1, t1
    la      a2, div_q
    add     a2, a2, t1
    la      a4, div_flags
    add     a4, a4, t1
    mv      t2, a3
1:  bge     t2, a5, 2f
    flw     ft0, 0(a0)
    flw     ft1, 0(a1)
    csrw    fflags, zero
    fdiv.s  ft2, ft0, ft1
    fsw     ft2, 0(a2)
    csrr    t3, fflags
    sw      t3, 0(a4)
    add     a0, a0, a7
    add     a1, a1, a7
    add     a2, a2, a7
    add     a4, a4, a7
    add     t2, t2, a6
    j       1b
2:
    la      a0, sqrt_x
    add     a0, a0, t1
    la      a2, sqrt_r
    add     a2, a2, t1
    la      a4, sqrt_flags
    add     a4, a4, t1
    mv      t2, a3
1:  bge     t2, a5, 2f
    flw     ft0, 0(a0)
    csrw    fflags, zero
    fsqrt.s ft2, ft0
    fsw     ft2, 0(a2)
    csrr    t3, fflags
    sw      t3, 0(a4)
    add     a0, a0, a7
    add     a2, a2, a7
    add     a4, a4, a7
    add     t2, t2, a6
    j       1b
2:
    ret

    .data
    .globl n, frm, cyc_nop, cyc_fadd
    .type n, @object
    .size n, 4
n:      .word 0
    .type frm, @object
    .size frm, 4
frm:    .word 0
    .type cyc_nop, @object
    .size cyc_nop, 4
cyc_nop: .word 0
    .type cyc_fadd, @object
    .size cyc_fadd, 4
cyc_fadd: .word 0

    .section .l1, "aw"
    .balign 4
    .globl div_a, div_b, div_q, div_flags, div_cyc
    .globl sqrt_x, sqrt_r, sqrt_flags, sqrt_cyc
#define ARRAY(name) .type name, @object; .size name, 2048; name: .space 2048
ARRAY(div_a)
ARRAY(div_b)
ARRAY(div_q)
ARRAY(div_flags)
ARRAY(div_cyc)
ARRAY(sqrt_x)
ARRAY(sqrt_r)
ARRAY(sqrt_flags)
ARRAY(sqrt_cyc)
scratch: .space 4
