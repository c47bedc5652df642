/* Deliberate errors, selected by the word `which` (written by the host):
 *   1: store to an unmapped address (core 0)
 *   2: illegal instruction (core 0)
 *   3: store to an unmapped address from core 3 inside a parallel region
 *   4: core reads L1 bytes an in-flight DMA writes (race)
 *   5: core writes L1 bytes an in-flight DMA reads (race)
 *   6: no error: same DMA, but the core waits before reading
 *   7: store just past 64 KiB of L1 (an error only when the run uses a 64 KiB L1)
 *   8: load from L3, which only the DMA may access
 *   9: wait for a DMA transfer id that was never started */
#include "tdrt.inc"

    .text
    .globl main
main:
    addi    sp, sp, -16
    sw      ra, 12(sp)
    la      t0, which
    lw      t0, 0(t0)
    li      t1, 1
    beq     t0, t1, oob_store
    li      t1, 2
    beq     t0, t1, illegal
    li      t1, 3
    beq     t0, t1, parallel_oob
    li      t1, 4
    beq     t0, t1, race_read
    li      t1, 5
    beq     t0, t1, race_write
    li      t1, 7
    beq     t0, t1, past_64k
    li      t1, 8
    beq     t0, t1, load_l3
    li      t1, 9
    beq     t0, t1, wait_unstarted
    j       dma_then_read

    .globl bad_store
oob_store:
    li      t2, 0x30000000
    li      t3, 0x1234
bad_store:
    sw      t3, 0(t2)
    j       done

illegal:
    .globl bad_insn
bad_insn:
    .word   0x00000000              /* defined to be illegal */
    j       done

parallel_oob:
    la      a0, store_on_core3
    li      a2, 0
    TDRT_FORK a0, a2
    j       done

store_on_core3:
    TDRT_CORE_ID t0
    li      t1, 3
    bne     t0, t1, 1f
    li      t2, 0x00000040
    .globl bad_store_core3
bad_store_core3:
    sw      t1, 0(t2)
1:  ret

race_read:
    la      a0, l1_buf
    la      a1, l2_buf
    li      a2, 1024
    TDRT_DMA_1D a3, a0, a1, a2, t0
    .globl racy_load
racy_load:
    lw      t1, 100(a0)             /* the DMA is still writing l1_buf */
    TDRT_DMA_WAIT a3, t0
    j       done

race_write:
    la      a0, l2_buf
    la      a1, l1_buf
    li      a2, 1024
    TDRT_DMA_1D a3, a0, a1, a2, t0  /* L1 -> L2: the DMA reads l1_buf */
    .globl racy_store
racy_store:
    sw      zero, 1000(a1)
    TDRT_DMA_WAIT a3, t0
    j       done

past_64k:
    li      t2, 0x10010000
    .globl bad_store_l1
bad_store_l1:
    sw      t2, 0(t2)
    j       done

load_l3:
    li      t2, 0x80000010
    .globl bad_load_l3
bad_load_l3:
    lw      t3, 0(t2)
    j       done

wait_unstarted:
    li      a3, 5
    TDRT_DMA_WAIT a3, t0
    j       done

dma_then_read:
    la      a0, l1_buf
    la      a1, l2_buf
    li      a2, 1024
    TDRT_DMA_1D a3, a0, a1, a2, t0
    TDRT_DMA_WAIT a3, t0
    lw      t1, 100(a0)
    la      t2, loaded
    sw      t1, 0(t2)

done:
    li      a0, 0
    lw      ra, 12(sp)
    addi    sp, sp, 16
    ret

    .data
    .globl which, loaded
which:  .word 0
loaded: .word 0
    .type which, @object
    .size which, 4
    .type loaded, @object
    .size loaded, 4

    .section .l1, "aw"
    .align 3
    .globl l1_buf
    .type l1_buf, @object
    .size l1_buf, 1024
l1_buf: .space 1024
    .section .l2, "aw"
    .align 3
    .globl l2_buf
    .type l2_buf, @object
    .size l2_buf, 1024
l2_buf: .space 1024
