// RUN: tdopt %s -p convert-cluster-to-riscv | filecheck %s
// RUN: tdopt %s -p convert-func-to-riscv-func,convert-cluster-to-riscv,convert-arith-to-riscv,reconcile-unrealized-casts,canonicalize,cse | filecheck %s --check-prefix=OPT
// RUN: tdopt %s -p convert-func-to-riscv-func,convert-cluster-to-riscv,convert-arith-to-riscv,reconcile-unrealized-casts,canonicalize,cse,riscv-allocate-registers,canonicalize,riscv-lower-parallel-mov -t riscv-asm | filecheck %s --check-prefix=ASM

// The core id is a read of the mhartid CSR (0xF14 = 3860) through csrrs
// with rs1 = zero (read-only); the core count is a load of NUM_CORES
// (offset 8) from the peripheral base 0x10200000 (270532608); each goes
// back to index through a cast.
// CHECK-LABEL: func.func @slice
// CHECK-NEXT:  %[[ZERO:.*]] = rv32.get_register : !riscv.reg<zero>
// CHECK-NEXT:  %[[ID:.*]] = riscv.csrrs %[[ZERO]], 3860, "r" : (!riscv.reg<zero>) -> !riscv.reg
// CHECK-NEXT:  %[[IDX:.*]] = builtin.unrealized_conversion_cast %[[ID]] : !riscv.reg to index
// CHECK-NEXT:  %[[BASE:.*]] = rv32.li 270532608 : !riscv.reg
// CHECK-NEXT:  %[[N:.*]] = riscv.lw %[[BASE]], 8 : (!riscv.reg) -> !riscv.reg
// CHECK-NEXT:  %[[NX:.*]] = builtin.unrealized_conversion_cast %[[N]] : !riscv.reg to index
// CHECK-NEXT:  %[[A:.*]] = arith.muli %[[IDX]], %n : index
// CHECK-NEXT:  %[[LO:.*]] = arith.divui %[[A]], %[[NX]] : index
// CHECK-NEXT:  func.return %[[LO]], %[[NX]] : index, index
// CHECK-NOT:   cluster.

// With the rest of the riscv conversions the casts go: the users read the
// registers directly.
// OPT-LABEL: riscv_func.func public @slice
// OPT:         %[[ZERO:.*]] = rv32.get_register : !riscv.reg<zero>
// OPT-NEXT:    %[[ID:.*]] = riscv.csrrs %[[ZERO]], 3860, "r"
// OPT-NEXT:    %[[BASE:.*]] = rv32.li 270532608
// OPT-NEXT:    %[[N:.*]] = riscv.lw %[[BASE]], 8
// OPT-NEXT:    %[[A:.*]] = riscv.mul %[[ID]], %{{.*}}
// OPT-NEXT:    riscv.divu %[[A]], %[[N]]
// OPT-NOT:     unrealized_conversion_cast

// ASM-LABEL: slice:
// ASM:         csrrs [[ID:[a-z0-9]+]], 3860, zero
// ASM-NEXT:    li [[BASE:[a-z0-9]+]], 270532608
// ASM-NEXT:    lw [[N:[a-z0-9]+]], 8([[BASE]])
// ASM-NEXT:    mul [[A:[a-z0-9]+]], [[ID]], {{[a-z0-9]+}}
// ASM-NEXT:    divu {{[a-z0-9]+}}, [[A]], [[N]]
func.func @slice(%n: index) -> (index, index) {
  %id = cluster.core_id : index
  %cores = cluster.num_cores : index
  %a = arith.muli %id, %n : index
  %lo = arith.divui %a, %cores : index
  func.return %lo, %cores : index, index
}

// Ops already in a riscv_func.func (the pass runs after
// convert-func-to-riscv-func in TO_RISCV) lower the same way.
// CHECK-LABEL: riscv_func.func @in_riscv_func
// CHECK-NEXT:  %[[ZERO:.*]] = rv32.get_register : !riscv.reg<zero>
// CHECK-NEXT:  %[[ID:.*]] = riscv.csrrs %[[ZERO]], 3860, "r"
// CHECK-NEXT:  %[[IDX:.*]] = builtin.unrealized_conversion_cast %[[ID]] : !riscv.reg to index
// CHECK-NEXT:  %[[R:.*]] = builtin.unrealized_conversion_cast %[[IDX]] : index to !riscv.reg
// CHECK-NEXT:  riscv.mv %[[R]]
riscv_func.func @in_riscv_func() -> !riscv.reg<a0> {
  %id = cluster.core_id : index
  %r = builtin.unrealized_conversion_cast %id : index to !riscv.reg
  %a0 = riscv.mv %r : (!riscv.reg) -> !riscv.reg<a0>
  riscv_func.return %a0 : !riscv.reg<a0>
}

// Both ops are pure (fixed while a kernel runs): a dead read is dropped.
// CHECK-LABEL: func.func @dead
// CHECK-NEXT:  func.return
func.func @dead() {
  %id = cluster.core_id : index
  %n = cluster.num_cores : index
  func.return
}
