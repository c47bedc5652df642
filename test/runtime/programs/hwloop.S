/* Nested CORE-V hardware loops: the outer loop (loop 1) runs `outer` times,
 * the inner loop (loop 0) `inner` times; the exit code counts inner bodies
 * and `sum` counts outer bodies. */
#include "tdrt.inc"

    .text
    .globl main
main:
    la      t0, inner
    lw      t1, 0(t0)
    la      t0, outer
    lw      t5, 0(t0)
    li      a0, 0
    li      a1, 0
    TDRT_HWLOOP 1, t5, 5
    TDRT_HWLOOP 0, t1, 2
    addi    a0, a0, 1
    nop
    addi    a1, a1, 1
    nop
    la      t0, sum
    sw      a1, 0(t0)
    ret

    .data
    .globl inner, outer, sum
    .type inner, @object
    .size inner, 4
inner:  .word 0
    .type outer, @object
    .size outer, 4
outer:  .word 0
    .type sum, @object
    .size sum, 4
sum:    .word 0
