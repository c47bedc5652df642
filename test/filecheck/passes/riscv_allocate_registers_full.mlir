// A kernel with more live values than the core has registers (40 loaded
// words, all live across the store after them: loads never sink past a
// store): the allocator (which never spills) gives up, and the diagnostic
// names the kernel and says why.
// RUN: not tdopt %s -p riscv-allocate-registers-full 2>&1 | filecheck %s
// CHECK: riscv_allocate_registers_full.mlir:[[# @LINE + 2]]:1: error: riscv-allocate-registers-full: kernel @wide needs more registers than the 26 integer and 32 float ones the allocator may use (it does not spill), even with its register blocking chosen by trial: a different --cores or --tile-l1 changes its loops; please report the shape

riscv_func.func @wide(%a: !riscv.reg<a0>) {
  %v0 = riscv.lw %a, 0 : (!riscv.reg<a0>) -> !riscv.reg
  %v1 = riscv.lw %a, 4 : (!riscv.reg<a0>) -> !riscv.reg
  %v2 = riscv.lw %a, 8 : (!riscv.reg<a0>) -> !riscv.reg
  %v3 = riscv.lw %a, 12 : (!riscv.reg<a0>) -> !riscv.reg
  %v4 = riscv.lw %a, 16 : (!riscv.reg<a0>) -> !riscv.reg
  %v5 = riscv.lw %a, 20 : (!riscv.reg<a0>) -> !riscv.reg
  %v6 = riscv.lw %a, 24 : (!riscv.reg<a0>) -> !riscv.reg
  %v7 = riscv.lw %a, 28 : (!riscv.reg<a0>) -> !riscv.reg
  %v8 = riscv.lw %a, 32 : (!riscv.reg<a0>) -> !riscv.reg
  %v9 = riscv.lw %a, 36 : (!riscv.reg<a0>) -> !riscv.reg
  %v10 = riscv.lw %a, 40 : (!riscv.reg<a0>) -> !riscv.reg
  %v11 = riscv.lw %a, 44 : (!riscv.reg<a0>) -> !riscv.reg
  %v12 = riscv.lw %a, 48 : (!riscv.reg<a0>) -> !riscv.reg
  %v13 = riscv.lw %a, 52 : (!riscv.reg<a0>) -> !riscv.reg
  %v14 = riscv.lw %a, 56 : (!riscv.reg<a0>) -> !riscv.reg
  %v15 = riscv.lw %a, 60 : (!riscv.reg<a0>) -> !riscv.reg
  %v16 = riscv.lw %a, 64 : (!riscv.reg<a0>) -> !riscv.reg
  %v17 = riscv.lw %a, 68 : (!riscv.reg<a0>) -> !riscv.reg
  %v18 = riscv.lw %a, 72 : (!riscv.reg<a0>) -> !riscv.reg
  %v19 = riscv.lw %a, 76 : (!riscv.reg<a0>) -> !riscv.reg
  %v20 = riscv.lw %a, 80 : (!riscv.reg<a0>) -> !riscv.reg
  %v21 = riscv.lw %a, 84 : (!riscv.reg<a0>) -> !riscv.reg
  %v22 = riscv.lw %a, 88 : (!riscv.reg<a0>) -> !riscv.reg
  %v23 = riscv.lw %a, 92 : (!riscv.reg<a0>) -> !riscv.reg
  %v24 = riscv.lw %a, 96 : (!riscv.reg<a0>) -> !riscv.reg
  %v25 = riscv.lw %a, 100 : (!riscv.reg<a0>) -> !riscv.reg
  %v26 = riscv.lw %a, 104 : (!riscv.reg<a0>) -> !riscv.reg
  %v27 = riscv.lw %a, 108 : (!riscv.reg<a0>) -> !riscv.reg
  %v28 = riscv.lw %a, 112 : (!riscv.reg<a0>) -> !riscv.reg
  %v29 = riscv.lw %a, 116 : (!riscv.reg<a0>) -> !riscv.reg
  %v30 = riscv.lw %a, 120 : (!riscv.reg<a0>) -> !riscv.reg
  %v31 = riscv.lw %a, 124 : (!riscv.reg<a0>) -> !riscv.reg
  %v32 = riscv.lw %a, 128 : (!riscv.reg<a0>) -> !riscv.reg
  %v33 = riscv.lw %a, 132 : (!riscv.reg<a0>) -> !riscv.reg
  %v34 = riscv.lw %a, 136 : (!riscv.reg<a0>) -> !riscv.reg
  %v35 = riscv.lw %a, 140 : (!riscv.reg<a0>) -> !riscv.reg
  %v36 = riscv.lw %a, 144 : (!riscv.reg<a0>) -> !riscv.reg
  %v37 = riscv.lw %a, 148 : (!riscv.reg<a0>) -> !riscv.reg
  %v38 = riscv.lw %a, 152 : (!riscv.reg<a0>) -> !riscv.reg
  %v39 = riscv.lw %a, 156 : (!riscv.reg<a0>) -> !riscv.reg
  riscv.sw %a, %v0, 160 : (!riscv.reg<a0>, !riscv.reg) -> ()
  %s1 = riscv.add %v0, %v1 : (!riscv.reg, !riscv.reg) -> !riscv.reg
  %s2 = riscv.add %s1, %v2 : (!riscv.reg, !riscv.reg) -> !riscv.reg
  %s3 = riscv.add %s2, %v3 : (!riscv.reg, !riscv.reg) -> !riscv.reg
  %s4 = riscv.add %s3, %v4 : (!riscv.reg, !riscv.reg) -> !riscv.reg
  %s5 = riscv.add %s4, %v5 : (!riscv.reg, !riscv.reg) -> !riscv.reg
  %s6 = riscv.add %s5, %v6 : (!riscv.reg, !riscv.reg) -> !riscv.reg
  %s7 = riscv.add %s6, %v7 : (!riscv.reg, !riscv.reg) -> !riscv.reg
  %s8 = riscv.add %s7, %v8 : (!riscv.reg, !riscv.reg) -> !riscv.reg
  %s9 = riscv.add %s8, %v9 : (!riscv.reg, !riscv.reg) -> !riscv.reg
  %s10 = riscv.add %s9, %v10 : (!riscv.reg, !riscv.reg) -> !riscv.reg
  %s11 = riscv.add %s10, %v11 : (!riscv.reg, !riscv.reg) -> !riscv.reg
  %s12 = riscv.add %s11, %v12 : (!riscv.reg, !riscv.reg) -> !riscv.reg
  %s13 = riscv.add %s12, %v13 : (!riscv.reg, !riscv.reg) -> !riscv.reg
  %s14 = riscv.add %s13, %v14 : (!riscv.reg, !riscv.reg) -> !riscv.reg
  %s15 = riscv.add %s14, %v15 : (!riscv.reg, !riscv.reg) -> !riscv.reg
  %s16 = riscv.add %s15, %v16 : (!riscv.reg, !riscv.reg) -> !riscv.reg
  %s17 = riscv.add %s16, %v17 : (!riscv.reg, !riscv.reg) -> !riscv.reg
  %s18 = riscv.add %s17, %v18 : (!riscv.reg, !riscv.reg) -> !riscv.reg
  %s19 = riscv.add %s18, %v19 : (!riscv.reg, !riscv.reg) -> !riscv.reg
  %s20 = riscv.add %s19, %v20 : (!riscv.reg, !riscv.reg) -> !riscv.reg
  %s21 = riscv.add %s20, %v21 : (!riscv.reg, !riscv.reg) -> !riscv.reg
  %s22 = riscv.add %s21, %v22 : (!riscv.reg, !riscv.reg) -> !riscv.reg
  %s23 = riscv.add %s22, %v23 : (!riscv.reg, !riscv.reg) -> !riscv.reg
  %s24 = riscv.add %s23, %v24 : (!riscv.reg, !riscv.reg) -> !riscv.reg
  %s25 = riscv.add %s24, %v25 : (!riscv.reg, !riscv.reg) -> !riscv.reg
  %s26 = riscv.add %s25, %v26 : (!riscv.reg, !riscv.reg) -> !riscv.reg
  %s27 = riscv.add %s26, %v27 : (!riscv.reg, !riscv.reg) -> !riscv.reg
  %s28 = riscv.add %s27, %v28 : (!riscv.reg, !riscv.reg) -> !riscv.reg
  %s29 = riscv.add %s28, %v29 : (!riscv.reg, !riscv.reg) -> !riscv.reg
  %s30 = riscv.add %s29, %v30 : (!riscv.reg, !riscv.reg) -> !riscv.reg
  %s31 = riscv.add %s30, %v31 : (!riscv.reg, !riscv.reg) -> !riscv.reg
  %s32 = riscv.add %s31, %v32 : (!riscv.reg, !riscv.reg) -> !riscv.reg
  %s33 = riscv.add %s32, %v33 : (!riscv.reg, !riscv.reg) -> !riscv.reg
  %s34 = riscv.add %s33, %v34 : (!riscv.reg, !riscv.reg) -> !riscv.reg
  %s35 = riscv.add %s34, %v35 : (!riscv.reg, !riscv.reg) -> !riscv.reg
  %s36 = riscv.add %s35, %v36 : (!riscv.reg, !riscv.reg) -> !riscv.reg
  %s37 = riscv.add %s36, %v37 : (!riscv.reg, !riscv.reg) -> !riscv.reg
  %s38 = riscv.add %s37, %v38 : (!riscv.reg, !riscv.reg) -> !riscv.reg
  %s39 = riscv.add %s38, %v39 : (!riscv.reg, !riscv.reg) -> !riscv.reg
  riscv.sw %a, %s39, 0 : (!riscv.reg<a0>, !riscv.reg) -> ()
  riscv_func.return
}
