// RUN: tdopt %s -p riscv-scf-strength-reduce,canonicalize,cse | filecheck %s
// RUN: tdopt %s -p 'riscv-scf-strength-reduce{levels=1},canonicalize,cse' | filecheck %s --check-prefix=ONE

// The 16x32 @ 32x16 matmul nest as convert-memref-to-riscv leaves it, every
// address recomputed from the indices. Reduced, each loop iterates over a
// pointer (its counter has no other use): i over the rows of %c (64 bytes),
// j over the elements of a row of %c, k over a row of %a; %a's row pointer is
// carried by i (128 bytes), %b's column pointer by j (4 bytes) and k (one
// row, 64 bytes). The inner bounds are `pointer + row bytes`, computed once
// per outer iteration.
// CHECK-LABEL: riscv_func.func @matmul
// CHECK-NEXT:  %[[CEND:.*]] = riscv.addi %c, 1024
// CHECK-NEXT:  %[[PA0:.*]] = riscv.parallel_mov %a [32]
// CHECK-NEXT:  %{{.*}} = riscv_scf.for %[[PC:.*]] : !riscv.reg = %c : !riscv.reg to %[[CEND]] : !riscv.reg step 64 : si12 iter_args(%[[PA:.*]] = %[[PA0]]) -> (!riscv.reg) {
// CHECK-NEXT:    %[[PB0:.*]] = riscv.parallel_mov %b [32]
// CHECK-NEXT:    %[[ROWEND:.*]] = riscv.addi %[[PC]], 64
// CHECK-NEXT:    %[[AEND:.*]] = riscv.addi %[[PA]], 128
// CHECK-NEXT:    %{{.*}} = riscv_scf.for %[[PCJ:.*]] : !riscv.reg = %[[PC]] : !riscv.reg to %[[ROWEND]] : !riscv.reg step 4 : si12 iter_args(%[[PB:.*]] = %[[PB0]]) -> (!riscv.reg) {
// CHECK-NEXT:      %[[INIT:.*]] = riscv.flw %[[PCJ]], 0
// CHECK-NEXT:      %[[ACC0:.*]] = riscv.parallel_mov %[[INIT]] [32]
// CHECK-NEXT:      %[[PBK0:.*]] = riscv.parallel_mov %[[PB]] [32]
// CHECK-NEXT:      %[[SUM:.*]], %{{.*}} = riscv_scf.for %[[PAK:.*]] : !riscv.reg = %[[PA]] : !riscv.reg to %[[AEND]] : !riscv.reg step 4 : si12 iter_args(%[[ACC:.*]] = %[[ACC0]], %[[PBK:.*]] = %[[PBK0]]) -> (!riscv.freg, !riscv.reg) {
// CHECK-NEXT:        %[[X:.*]] = riscv.flw %[[PAK]], 0
// CHECK-NEXT:        %[[Y:.*]] = riscv.flw %[[PBK]], 0
// CHECK-NEXT:        %[[M:.*]] = riscv.fmul.s %[[X]], %[[Y]]
// CHECK-NEXT:        %[[T:.*]] = riscv.fadd.s %[[ACC]], %[[M]]
// CHECK-NEXT:        %[[PBKN:.*]] = riscv.addi %[[PBK]], 64 {comment = "advance pointer"}
// CHECK-NEXT:        riscv_scf.yield %[[T]], %[[PBKN]] : !riscv.freg, !riscv.reg
// CHECK-NEXT:      }
// CHECK-NEXT:      riscv.fsw %[[PCJ]], %[[SUM]], 0
// CHECK-NEXT:      %[[PBN:.*]] = riscv.addi %[[PB]], 4 {comment = "advance pointer"}
// CHECK-NEXT:      riscv_scf.yield %[[PBN]] : !riscv.reg
// CHECK-NEXT:    }
// CHECK-NEXT:    %[[PAN:.*]] = riscv.addi %[[PA]], 128 {comment = "advance pointer"}
// CHECK-NEXT:    riscv_scf.yield %[[PAN]] : !riscv.reg
// CHECK-NEXT:  }
// CHECK-NEXT:  riscv_func.return

// With one level only the k loop changes; i and j keep their index math.
// ONE-LABEL: riscv_func.func @matmul
// ONE:       riscv_scf.for %[[I:.*]] : !riscv.reg = %{{.*}} to %{{.*}} step %{{.*}} : !riscv.reg {
// ONE-NEXT:    riscv_scf.for %[[J:.*]] : !riscv.reg = %{{.*}} to %{{.*}} step %{{.*}} : !riscv.reg {
// ONE-NEXT:      riscv.mul %[[I]]
// ONE:           %[[ROW:.*]] = riscv.add %a
// ONE:           %[[COL:.*]] = riscv.add %b
// ONE-NEXT:      %[[AEND:.*]] = riscv.addi %[[ROW]], 128
// ONE-NEXT:      %[[PB0:.*]] = riscv.parallel_mov %[[COL]] [32]
// ONE-NEXT:      %{{.*}}, %{{.*}} = riscv_scf.for %[[PA:.*]] : !riscv.reg = %[[ROW]] : !riscv.reg to %[[AEND]] : !riscv.reg step 4 : si12 iter_args(%{{.*}} = %{{.*}}, %[[PB:.*]] = %[[PB0]]) -> (!riscv.freg, !riscv.reg) {
// ONE-NEXT:        riscv.flw %[[PA]], 0
// ONE-NEXT:        riscv.flw %[[PB]], 0

riscv_func.func @matmul(%a: !riscv.reg, %b: !riscv.reg, %c: !riscv.reg) {
  %c16 = rv32.li 16 : !riscv.reg
  %c32 = rv32.li 32 : !riscv.reg
  %c4 = rv32.li 4 : !riscv.reg
  %zero = rv32.get_register : !riscv.reg<zero>
  %c0 = riscv.mv %zero : (!riscv.reg<zero>) -> !riscv.reg
  %c1 = rv32.li 1 : !riscv.reg
  riscv_scf.for %i : !riscv.reg = %c0 : !riscv.reg to %c16 : !riscv.reg step %c1 : !riscv.reg {
    riscv_scf.for %j : !riscv.reg = %c0 : !riscv.reg to %c16 : !riscv.reg step %c1 : !riscv.reg {
      %ci = riscv.mul %i, %c16 : (!riscv.reg, !riscv.reg) -> !riscv.reg
      %cij = riscv.add %ci, %j : (!riscv.reg, !riscv.reg) -> !riscv.reg
      %cb = riscv.mul %cij, %c4 : (!riscv.reg, !riscv.reg) -> !riscv.reg
      %cp = riscv.add %c, %cb : (!riscv.reg, !riscv.reg) -> !riscv.reg
      %init = riscv.flw %cp, 0 : (!riscv.reg) -> !riscv.freg
      %acc0 = riscv.parallel_mov %init [32] : (!riscv.freg) -> !riscv.freg
      %sum = riscv_scf.for %k : !riscv.reg = %c0 : !riscv.reg to %c32 : !riscv.reg step %c1 : !riscv.reg iter_args(%acc = %acc0) -> (!riscv.freg) {
        %ai = riscv.mul %i, %c32 : (!riscv.reg, !riscv.reg) -> !riscv.reg
        %aik = riscv.add %ai, %k : (!riscv.reg, !riscv.reg) -> !riscv.reg
        %ab = riscv.mul %aik, %c4 : (!riscv.reg, !riscv.reg) -> !riscv.reg
        %ap = riscv.add %a, %ab : (!riscv.reg, !riscv.reg) -> !riscv.reg
        %x = riscv.flw %ap, 0 : (!riscv.reg) -> !riscv.freg
        %bk = riscv.mul %k, %c16 : (!riscv.reg, !riscv.reg) -> !riscv.reg
        %bkj = riscv.add %bk, %j : (!riscv.reg, !riscv.reg) -> !riscv.reg
        %bb = riscv.mul %bkj, %c4 : (!riscv.reg, !riscv.reg) -> !riscv.reg
        %bp = riscv.add %b, %bb : (!riscv.reg, !riscv.reg) -> !riscv.reg
        %y = riscv.flw %bp, 0 : (!riscv.reg) -> !riscv.freg
        %m = riscv.fmul.s %x, %y : (!riscv.freg, !riscv.freg) -> !riscv.freg
        %t = riscv.fadd.s %acc, %m : (!riscv.freg, !riscv.freg) -> !riscv.freg
        riscv_scf.yield %t : !riscv.freg
      }
      riscv.fsw %cp, %sum, 0 : (!riscv.reg, !riscv.freg) -> ()
    }
  }
  riscv_func.return
}

// A stencil: x[i] and x[i+1] share one pointer (the +1 becomes the load's
// immediate), y[i] has its own; the counter stays because it is also
// converted to float, so nothing is folded into the loop range.
// CHECK-LABEL: riscv_func.func @stencil
// CHECK:       %[[X0:.*]], %[[Y0:.*]] = riscv.parallel_mov %x, %y [32, 32]
// CHECK-NEXT:  %{{.*}}, %{{.*}} = riscv_scf.for %[[I:.*]] : !riscv.reg = %{{.*}} to %{{.*}} step 1 : si12 iter_args(%[[PX:.*]] = %[[X0]], %[[PY:.*]] = %[[Y0]]) -> (!riscv.reg, !riscv.reg) {
// CHECK-NEXT:    riscv.flw %[[PX]], 0
// CHECK-NEXT:    riscv.flw %[[PX]], 4
// CHECK-NEXT:    riscv.fcvt.s.w %[[I]]
// CHECK:         riscv.fsw %[[PY]], %{{.*}}, 0
// CHECK-NEXT:    %[[NX:.*]] = riscv.addi %[[PX]], 4 {comment = "advance pointer"}
// CHECK-NEXT:    %[[NY:.*]] = riscv.addi %[[PY]], 4 {comment = "advance pointer"}
// CHECK-NEXT:    riscv_scf.yield %[[NX]], %[[NY]]
riscv_func.func @stencil(%x: !riscv.reg, %y: !riscv.reg) {
  %zero = rv32.get_register : !riscv.reg<zero>
  %c0 = riscv.mv %zero : (!riscv.reg<zero>) -> !riscv.reg
  %c1 = rv32.li 1 : !riscv.reg
  %n = rv32.li 15 : !riscv.reg
  riscv_scf.for %i : !riscv.reg = %c0 : !riscv.reg to %n : !riscv.reg step %c1 : !riscv.reg {
    %off = rv32.slli %i, 2 : (!riscv.reg) -> !riscv.reg
    %p = riscv.add %x, %off : (!riscv.reg, !riscv.reg) -> !riscv.reg
    %a = riscv.flw %p, 0 : (!riscv.reg) -> !riscv.freg
    %i1 = riscv.addi %i, 1 : (!riscv.reg) -> !riscv.reg
    %off1 = rv32.slli %i1, 2 : (!riscv.reg) -> !riscv.reg
    %p1 = riscv.add %x, %off1 : (!riscv.reg, !riscv.reg) -> !riscv.reg
    %b = riscv.flw %p1, 0 : (!riscv.reg) -> !riscv.freg
    %f = riscv.fcvt.s.w %i : (!riscv.reg) -> !riscv.freg
    %s = riscv.fadd.s %a, %b : (!riscv.freg, !riscv.freg) -> !riscv.freg
    %t = riscv.fmul.s %s, %f : (!riscv.freg, !riscv.freg) -> !riscv.freg
    %q = riscv.add %y, %off : (!riscv.reg, !riscv.reg) -> !riscv.reg
    riscv.fsw %q, %t, 0 : (!riscv.reg, !riscv.freg) -> ()
  }
  riscv_func.return
}
