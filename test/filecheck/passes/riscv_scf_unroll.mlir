// RUN: tdopt %s -p riscv-scf-unroll | filecheck %s
// RUN: tdopt %s -p riscv-scf-unroll | tdopt | filecheck %s

// A dot product as strength reduction leaves it: the loop iterates over the
// pointer of x (step 4 bytes), y's pointer is carried and advanced by 8.
// Unrolled by 4: step 16; copy j reads x at 4j and y at 8j (same pointers),
// y advances by 32 once, after the last copy; the sums chain in order. The
// load at 2030 + 8j leaves the 12-bit range in copy 3 (2054): as strength
// reduction does, that copy reads through a pointer of its own, y + 2054
// before the loop, carried and advanced by 32 like y. The scalar at s+4,
// loaded from the same address in every copy of a body that stores nothing,
// is loaded once.
// CHECK-LABEL: riscv_func.func @k_dot
// CHECK:       %[[Q0:.*]] = riscv.mv %b
// CHECK:       %[[FAR:.*]] = rv32.li 2054
// CHECK-NEXT:  %[[FAR0:.*]] = riscv.add %[[Q0]], %[[FAR]]
// CHECK-NEXT:  riscv_scf.for %[[P:.*]] : !riscv.reg = %{{.*}} to %{{.*}} step 16 : si12 iter_args(%[[ACC:.*]] = %{{.*}}, %[[Q:.*]] = %[[Q0]], %[[F:.*]] = %[[FAR0]]) -> (!riscv.freg, !riscv.reg, !riscv.reg) {
// CHECK-NOT:     cluster.unroll
// CHECK-NEXT:    %[[X0:.*]] = riscv.flw %[[P]], 0
// CHECK-NEXT:    %[[Y0:.*]] = riscv.flw %[[Q]], 0
// CHECK-NEXT:    %[[W0:.*]] = riscv.flw %[[Q]], 2030
// CHECK-NEXT:    %[[K:.*]] = riscv.flw %{{.*}}, 4
// CHECK-NEXT:    %[[M0:.*]] = riscv.fmadd.s %[[X0]], %[[Y0]], %[[ACC]]
// CHECK-NEXT:    %[[S0:.*]] = riscv.fmadd.s %[[W0]], %[[K]], %[[M0]]
// CHECK-NEXT:    %[[X1:.*]] = riscv.flw %[[P]], 4
// CHECK-NEXT:    %[[Y1:.*]] = riscv.flw %[[Q]], 8
// CHECK-NEXT:    %[[W1:.*]] = riscv.flw %[[Q]], 2038
// CHECK-NEXT:    %[[M1:.*]] = riscv.fmadd.s %[[X1]], %[[Y1]], %[[S0]]
// CHECK-NEXT:    %[[S1:.*]] = riscv.fmadd.s %[[W1]], %[[K]], %[[M1]]
// CHECK-NEXT:    riscv.flw %[[P]], 8
// CHECK-NEXT:    riscv.flw %[[Q]], 16
// CHECK-NEXT:    riscv.flw %[[Q]], 2046
// CHECK-NEXT:    %[[M2:.*]] = riscv.fmadd.s %{{.*}}, %{{.*}}, %[[S1]]
// CHECK-NEXT:    %[[S2:.*]] = riscv.fmadd.s %{{.*}}, %[[K]], %[[M2]]
// CHECK-NEXT:    riscv.flw %[[P]], 12
// CHECK-NEXT:    riscv.flw %[[Q]], 24
// CHECK-NEXT:    riscv.flw %[[F]], 0
// CHECK-NEXT:    %[[M3:.*]] = riscv.fmadd.s %{{.*}}, %{{.*}}, %[[S2]]
// CHECK-NEXT:    %[[S3:.*]] = riscv.fmadd.s %{{.*}}, %[[K]], %[[M3]]
// CHECK-NEXT:    %[[NEXT:.*]] = riscv.addi %[[Q]], 32 {comment = "advance pointer"}
// CHECK-NEXT:    %[[FNEXT:.*]] = riscv.addi %[[F]], 32 {comment = "advance pointer"}
// CHECK-NEXT:    riscv_scf.yield %[[S3]], %[[NEXT]], %[[FNEXT]] : !riscv.freg, !riscv.reg, !riscv.reg
riscv_func.func @k_dot(%a : !riscv.reg<a0>, %b : !riscv.reg<a1>, %c : !riscv.reg<a2>) {
  %p0 = riscv.mv %a : (!riscv.reg<a0>) -> !riscv.reg
  %q0 = riscv.mv %b : (!riscv.reg<a1>) -> !riscv.reg
  %s = riscv.mv %c : (!riscv.reg<a2>) -> !riscv.reg
  %end = riscv.addi %p0, 64 : (!riscv.reg) -> !riscv.reg
  %init = riscv.flw %s, 0 : (!riscv.reg) -> !riscv.freg
  %r:2 = riscv_scf.for %p : !riscv.reg = %p0 : !riscv.reg to %end : !riscv.reg step 4 : si12 iter_args(%acc = %init, %q = %q0) -> (!riscv.freg, !riscv.reg) {
    cluster.unroll 4
    %x = riscv.flw %p, 0 : (!riscv.reg) -> !riscv.freg
    %y = riscv.flw %q, 0 : (!riscv.reg) -> !riscv.freg
    %w = riscv.flw %q, 2030 : (!riscv.reg) -> !riscv.freg
    %k = riscv.flw %s, 4 : (!riscv.reg) -> !riscv.freg
    %m = riscv.fmadd.s %x, %y, %acc : (!riscv.freg, !riscv.freg, !riscv.freg) -> !riscv.freg
    %m2 = riscv.fmadd.s %w, %k, %m : (!riscv.freg, !riscv.freg, !riscv.freg) -> !riscv.freg
    %q1 = riscv.addi %q, 8 {comment = "advance pointer"} : (!riscv.reg) -> !riscv.reg
    riscv_scf.yield %m2, %q1 : !riscv.freg, !riscv.reg
  }
  riscv.fsw %s, %r#0, 0 : (!riscv.reg, !riscv.freg) -> ()
  riscv_func.return
}

// The induction variable used as a number: the second copy computes i + 1
// first. The body stores, so the load of s is made in each copy.
// CHECK-LABEL: riscv_func.func @k_index
// CHECK:       riscv_scf.for %[[I:.*]] : !riscv.reg = %{{.*}} to %{{.*}} step 2 : si12 {
// CHECK-NEXT:    %[[K0:.*]] = riscv.lw %[[S:.*]], 0
// CHECK-NEXT:    %[[V0:.*]] = riscv.add %[[I]], %[[K0]]
// CHECK-NEXT:    riscv.sw %[[O:.*]], %[[V0]], 0
// CHECK-NEXT:    %[[I1:.*]] = riscv.addi %[[I]], 1
// CHECK-NEXT:    %[[K1:.*]] = riscv.lw %[[S]], 0
// CHECK-NEXT:    %[[V1:.*]] = riscv.add %[[I1]], %[[K1]]
// CHECK-NEXT:    riscv.sw %[[O]], %[[V1]], 0
// CHECK-NEXT:  }
riscv_func.func @k_index(%a : !riscv.reg<a0>, %c : !riscv.reg<a1>) {
  %s = riscv.mv %a : (!riscv.reg<a0>) -> !riscv.reg
  %o = riscv.mv %c : (!riscv.reg<a1>) -> !riscv.reg
  %lb = rv32.li 0 : !riscv.reg
  %ub = rv32.li 8 : !riscv.reg
  riscv_scf.for %i : !riscv.reg = %lb : !riscv.reg to %ub : !riscv.reg step 1 : si12 {
    cluster.unroll 2
    %k = riscv.lw %s, 0 : (!riscv.reg) -> !riscv.reg
    %v = riscv.add %i, %k : (!riscv.reg, !riscv.reg) -> !riscv.reg
    riscv.sw %o, %v, 0 : (!riscv.reg, !riscv.reg) -> ()
    riscv_scf.yield
  }
  riscv_func.return
}

// Steps out of the immediate's range: the pointer advances by 2 x 1536 with
// an li and an add, and the loop's step 2 x 1024 becomes a register.
// CHECK-LABEL: riscv_func.func @k_far
// CHECK:       %[[STEP:.*]] = rv32.li 2048 : !riscv.reg
// CHECK-NEXT:  riscv_scf.for %[[P:.*]] : !riscv.reg = %{{.*}} to %{{.*}} step %[[STEP]] : !riscv.reg iter_args(%[[Q:.*]] = %{{.*}}) -> (!riscv.reg) {
// CHECK-NEXT:    %[[X0:.*]] = riscv.flw %[[P]], 0
// CHECK-NEXT:    riscv.fsw %[[Q]], %[[X0]], 0
// CHECK-NEXT:    %[[X1:.*]] = riscv.flw %[[P]], 1024
// CHECK-NEXT:    riscv.fsw %[[Q]], %[[X1]], 1536
// CHECK-NEXT:    %[[AMOUNT:.*]] = rv32.li 3072
// CHECK-NEXT:    %[[NEXT:.*]] = riscv.add %[[Q]], %[[AMOUNT]] {comment = "advance pointer"}
// CHECK-NEXT:    riscv_scf.yield %[[NEXT]] : !riscv.reg
riscv_func.func @k_far(%a : !riscv.reg<a0>, %b : !riscv.reg<a1>) {
  %p0 = riscv.mv %a : (!riscv.reg<a0>) -> !riscv.reg
  %q0 = riscv.mv %b : (!riscv.reg<a1>) -> !riscv.reg
  %n = rv32.li 4096 : !riscv.reg
  %end = riscv.add %p0, %n : (!riscv.reg, !riscv.reg) -> !riscv.reg
  %r = riscv_scf.for %p : !riscv.reg = %p0 : !riscv.reg to %end : !riscv.reg step 1024 : si12 iter_args(%q = %q0) -> (!riscv.reg) {
    cluster.unroll 2
    %x = riscv.flw %p, 0 : (!riscv.reg) -> !riscv.freg
    riscv.fsw %q, %x, 0 : (!riscv.reg, !riscv.freg) -> ()
    %q1 = riscv.addi %q, 1536 {comment = "advance pointer"} : (!riscv.reg) -> !riscv.reg
    riscv_scf.yield %q1 : !riscv.reg
  }
  riscv_func.return
}

// A sliding window (a convolution's copies overlap): copy 1 would load
// x[i+1] again; with no store in the body it takes copy 0's value, as cse
// did with the loop-level copies.
// CHECK-LABEL: riscv_func.func @k_window
// CHECK:       riscv_scf.for %[[P:.*]] : !riscv.reg = %{{.*}} to %{{.*}} step 8 : si12 iter_args(%[[ACC:.*]] = %{{.*}}) -> (!riscv.freg) {
// CHECK-NEXT:    %[[X0:.*]] = riscv.flw %[[P]], 0
// CHECK-NEXT:    %[[X1:.*]] = riscv.flw %[[P]], 4
// CHECK-NEXT:    %[[S0:.*]] = riscv.fadd.s %[[X0]], %[[X1]]
// CHECK-NEXT:    %[[A0:.*]] = riscv.fadd.s %[[ACC]], %[[S0]]
// CHECK-NEXT:    %[[X2:.*]] = riscv.flw %[[P]], 8
// CHECK-NEXT:    %[[S1:.*]] = riscv.fadd.s %[[X1]], %[[X2]]
// CHECK-NEXT:    %[[A1:.*]] = riscv.fadd.s %[[A0]], %[[S1]]
// CHECK-NEXT:    riscv_scf.yield %[[A1]] : !riscv.freg
riscv_func.func @k_window(%a : !riscv.reg<a0>, %c : !riscv.reg<a1>) {
  %p0 = riscv.mv %a : (!riscv.reg<a0>) -> !riscv.reg
  %s = riscv.mv %c : (!riscv.reg<a1>) -> !riscv.reg
  %end = riscv.addi %p0, 32 : (!riscv.reg) -> !riscv.reg
  %init = riscv.flw %s, 0 : (!riscv.reg) -> !riscv.freg
  %r = riscv_scf.for %p : !riscv.reg = %p0 : !riscv.reg to %end : !riscv.reg step 4 : si12 iter_args(%acc = %init) -> (!riscv.freg) {
    cluster.unroll 2
    %x0 = riscv.flw %p, 0 : (!riscv.reg) -> !riscv.freg
    %x1 = riscv.flw %p, 4 : (!riscv.reg) -> !riscv.freg
    %w = riscv.fadd.s %x0, %x1 : (!riscv.freg, !riscv.freg) -> !riscv.freg
    %n = riscv.fadd.s %acc, %w : (!riscv.freg, !riscv.freg) -> !riscv.freg
    riscv_scf.yield %n : !riscv.freg
  }
  riscv.fsw %s, %r, 0 : (!riscv.reg, !riscv.freg) -> ()
  riscv_func.return
}
