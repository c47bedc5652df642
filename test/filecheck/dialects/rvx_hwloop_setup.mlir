// rvx.hwloop_setup, the CORE-V `cv.setup` of hardware loop 0 that
// riscv-allocate-registers-full puts at the start of an innermost loop body,
// in its custom form: printed back unchanged, also after a second parse and
// through the generic form (verifier errors: hwloop_setup_errors.mlir).
// RUN: tdopt %s | filecheck %s
// RUN: tdopt %s | tdopt | filecheck %s
// RUN: tdopt %s --print-op-generic | tdopt | filecheck %s
// Its count takes part in register allocation, and it is emitted as the
// `.word` encoding of `cv.setup 0, count, end`:
// RUN: tdopt %s -p riscv-allocate-registers -t riscv-asm | filecheck %s --check-prefix=ASM

// CHECK-LABEL: riscv_func.func @allocated
// CHECK:       riscv.label "allocated_start"
// CHECK-NEXT:  rvx.hwloop_setup %n, "allocated_start" to "allocated_end" : !riscv.reg<t0>
// CHECK-NEXT:  riscv.flw
// ASM-LABEL:   allocated:
// ASM-NEXT:    li t0, 16
// ASM-NEXT:    allocated_start:
// ASM-NEXT:    .word 0x2b | (4 << 12) | (14 << 7) | (5 << 15) | (((allocated_end - allocated_start) / 4) << 20)  # cv.setup 0, t0, allocated_end
// ASM-NEXT:    flw ft0, 0(a0)
riscv_func.func @allocated(%p: !riscv.reg<a0>) {
  %n = rv32.li 16 : !riscv.reg<t0>
  riscv.label "allocated_start"
  rvx.hwloop_setup %n, "allocated_start" to "allocated_end" : !riscv.reg<t0>
  %x = riscv.flw %p, 0 : (!riscv.reg<a0>) -> !riscv.freg<ft0>
  %y = riscv.fadd.s %x, %x : (!riscv.freg<ft0>, !riscv.freg<ft0>) -> !riscv.freg<ft0>
  riscv.fsw %p, %y, 0 : (!riscv.reg<a0>, !riscv.freg<ft0>) -> ()
  %q = riscv.addi %p, 4 : (!riscv.reg<a0>) -> !riscv.reg<a0>
  riscv.label "allocated_end"
  riscv_func.return
}

// CHECK-LABEL: riscv_func.func @unallocated
// CHECK:       %n = rv32.li 8 : !riscv.reg
// CHECK-NEXT:  riscv.label "unallocated_start"
// CHECK-NEXT:  rvx.hwloop_setup %n, "unallocated_start" to "unallocated_end" {note = "extra attributes are kept"} : !riscv.reg
// CHECK-NEXT:  riscv.label "unallocated_end"
// ASM-LABEL:   unallocated:
// ASM-NEXT:    li [[N:[a-z0-9]+]], 8
// ASM-NEXT:    unallocated_start:
// ASM-NEXT:    .word {{.*}} # cv.setup 0, [[N]], unallocated_end
riscv_func.func @unallocated() {
  %n = rv32.li 8 : !riscv.reg
  riscv.label "unallocated_start"
  rvx.hwloop_setup %n, "unallocated_start" to "unallocated_end" {note = "extra attributes are kept"} : !riscv.reg
  riscv.label "unallocated_end"
  riscv_func.return
}
