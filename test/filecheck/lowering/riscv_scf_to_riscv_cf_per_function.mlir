// RUN: tdopt %s -p convert-riscv-scf-to-riscv-cf-per-function -t riscv-asm | filecheck %s

// Each function numbers its loops from 0 and its labels carry its name, so
// the labels of a function do not depend on the functions before it (xDSL's
// convert-riscv-scf-to-riscv-cf counts over the module: @second's loop would
// be scf_body_2_for). Nested loops: the inner loop is numbered first, as
// xDSL's pass does (it rewrites inner regions first).
// CHECK-LABEL: first:
// CHECK:       bge t0, t1, first_scf_body_end_1_for
// CHECK-NEXT:  first_scf_body_1_for:
// CHECK:       first_scf_body_0_for:
// CHECK:       blt t2, t3, first_scf_body_0_for
// CHECK-NEXT:  first_scf_body_end_0_for:
// CHECK:       blt t0, t1, first_scf_body_1_for
// CHECK-NEXT:  first_scf_body_end_1_for:
// CHECK-LABEL: second:
// CHECK:       bge t0, t1, second_scf_body_end_0_for
// CHECK-NEXT:  second_scf_body_0_for:
// CHECK:       blt t0, t1, second_scf_body_0_for
// CHECK-NEXT:  second_scf_body_end_0_for:
// CHECK-NOT:   scf_body_2
riscv_func.func @first() {
  %lo = rv32.li 0 : !riscv.reg<t0>
  %hi = rv32.li 4 : !riscv.reg<t1>
  riscv_scf.for %i : !riscv.reg<t0> = %lo : !riscv.reg<t0> to %hi : !riscv.reg<t1> step 1 : si12 {
    %lo2 = rv32.li 0 : !riscv.reg<t2>
    %hi2 = rv32.li 4 : !riscv.reg<t3>
    riscv_scf.for %j : !riscv.reg<t2> = %lo2 : !riscv.reg<t2> to %hi2 : !riscv.reg<t3> step 1 : si12 {
    }
  }
  riscv_func.return
}
riscv_func.func @second() {
  %lo = rv32.li 0 : !riscv.reg<t0>
  %hi = rv32.li 8 : !riscv.reg<t1>
  riscv_scf.for %i : !riscv.reg<t0> = %lo : !riscv.reg<t0> to %hi : !riscv.reg<t1> step 1 : si12 {
  }
  riscv_func.return
}
