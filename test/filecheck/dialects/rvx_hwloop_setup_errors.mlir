// Misplaced or malformed rvx.hwloop_setup ops are rejected by its verifier
// with a located message: the `.word` it emits measures the body from the
// label just before it to its end label.
// RUN: tdopt %s --split-input-file --verify-diagnostics | filecheck %s

riscv_func.func @k(%n: !riscv.reg) {
  riscv.label "k_start"
  // CHECK: rvx_hwloop_setup_errors.mlir:[[# @LINE + 1]]:3: error: 'rvx.hwloop_setup': start and end label are both "k_start" (an empty body)
  rvx.hwloop_setup %n, "k_start" to "k_start" : !riscv.reg
  riscv_func.return
}
// -----
riscv_func.func @k(%n: !riscv.reg) {
  // CHECK: rvx_hwloop_setup_errors.mlir:[[# @LINE + 1]]:3: error: 'rvx.hwloop_setup': must directly follow its start label `riscv.label "k_start"`
  rvx.hwloop_setup %n, "k_start" to "k_end" : !riscv.reg
  riscv.label "k_end"
  riscv_func.return
}
// -----
riscv_func.func @k(%n: !riscv.reg) {
  riscv.label "k_other"
  // CHECK: rvx_hwloop_setup_errors.mlir:[[# @LINE + 1]]:3: error: 'rvx.hwloop_setup': must directly follow its start label `riscv.label "k_start"`
  rvx.hwloop_setup %n, "k_start" to "k_end" : !riscv.reg
  riscv.label "k_end"
  riscv_func.return
}
// -----
riscv_func.func @k() {
  %zero = rv32.get_register : !riscv.reg<zero>
  riscv.label "k_start"
  // CHECK: rvx_hwloop_setup_errors.mlir:[[# @LINE + 1]]:3: error: 'rvx.hwloop_setup': the trip count cannot be the zero register
  rvx.hwloop_setup %zero, "k_start" to "k_end" : !riscv.reg<zero>
  riscv.label "k_end"
  riscv_func.return
}
