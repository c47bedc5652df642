// Stock xdsl-opt gets tdopt's fixes of xDSL (lowering/xdsl_fixes.py) as soon
// as a pipeline names one of tdopt's passes: the universe applies them when
// it hands out the pass. Here xDSL's riscv canonicalization would fold the
// constant into `addi ..., 4096`, whose immediate does not fit 12 bits (the
// module then fails to verify); with the fix the constant stays in a register.
// RUN: xdsl-opt %s -p riscv-fuse-fmadd,canonicalize | filecheck %s

// CHECK-LABEL: riscv_func.func @big
// CHECK:         %{{.*}} = rv32.li 4096
// CHECK-NEXT:    %{{.*}} = riscv.add
// CHECK-NOT:     riscv.addi
riscv_func.func @big(%0 : !riscv.reg<a0>) -> !riscv.reg<a0> {
  %1 = rv32.li 4096 : !riscv.reg
  %2 = riscv.add %0, %1 : (!riscv.reg<a0>, !riscv.reg) -> !riscv.reg<a0>
  riscv_func.return %2 : !riscv.reg<a0>
}
