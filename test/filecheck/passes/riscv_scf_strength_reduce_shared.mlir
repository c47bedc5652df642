// RUN: tdopt %s -p 'riscv-scf-strength-reduce{levels=1},canonicalize,cse' | filecheck %s

// A register-blocked inner loop as interleave-contractions leaves it: the
// columns j*4 .. j*4+3 of %b and %o are computed before the k loop, each
// its own value, so their addresses have different atoms. They are all
// `col + constant`, though, so all four loads of %b share one pointer
// carried by the loop (the differences 4, 8, 12 plus the loads' own
// offsets become immediates: 12 + 8 = 20), and so do the four stores to %o
// (12 - 4 = 8). A column 1024 floats (4096 bytes) away does not fit an
// immediate and a row stride of 32 floats steps differently: both keep a
// pointer of their own.
// CHECK-LABEL: riscv_func.func @blocked
// CHECK:         %{{.*}} = riscv_scf.for %[[K:.*]] : !riscv.reg = %a : !riscv.reg to %{{.*}} : !riscv.reg step 4 : si12 iter_args(%[[B:.*]] = %{{.*}}, %[[BFAR:.*]] = %{{.*}}, %[[B2:.*]] = %{{.*}}, %[[O:.*]] = %{{.*}}, %[[OFAR:.*]] = %{{.*}}) -> (!riscv.reg, !riscv.reg, !riscv.reg, !riscv.reg, !riscv.reg) {
// CHECK-NEXT:      %{{.*}} = riscv.flw %[[K]], 0
// CHECK-NEXT:      %{{.*}} = riscv.flw %[[B]], 0
// CHECK-NEXT:      %{{.*}} = riscv.flw %[[B]], 4
// CHECK-NEXT:      %{{.*}} = riscv.flw %[[B]], 8
// CHECK-NEXT:      %{{.*}} = riscv.flw %[[B]], 20
// CHECK-NEXT:      %{{.*}} = riscv.flw %[[BFAR]], 0
// CHECK-NEXT:      %{{.*}} = riscv.flw %[[B2]], 0
// CHECK:           riscv.fsw %[[O]], %{{.*}}, 0
// CHECK-NEXT:      riscv.fsw %[[O]], %{{.*}}, 4
// CHECK-NEXT:      riscv.fsw %[[O]], %{{.*}}, 8
// CHECK-NEXT:      riscv.fsw %[[O]], %{{.*}}, 8
// CHECK-NEXT:      riscv.fsw %[[OFAR]], %{{.*}}, 0
// CHECK-NEXT:      %[[BN:.*]] = riscv.addi %[[B]], 64 {comment = "advance pointer"}
// CHECK-NEXT:      %[[BFARN:.*]] = riscv.addi %[[BFAR]], 64 {comment = "advance pointer"}
// CHECK-NEXT:      %[[B2N:.*]] = riscv.addi %[[B2]], 128 {comment = "advance pointer"}
// CHECK-NEXT:      %[[ON:.*]] = riscv.addi %[[O]], 64 {comment = "advance pointer"}
// CHECK-NEXT:      %[[OFARN:.*]] = riscv.addi %[[OFAR]], 64 {comment = "advance pointer"}
// CHECK-NEXT:      riscv_scf.yield %[[BN]], %[[BFARN]], %[[B2N]], %[[ON]], %[[OFARN]]
// CHECK-NEXT:    }

riscv_func.func @blocked(%a: !riscv.reg, %b: !riscv.reg, %o: !riscv.reg) {
  %zero = rv32.get_register : !riscv.reg<zero>
  %c0 = riscv.mv %zero : (!riscv.reg<zero>) -> !riscv.reg
  %c1 = rv32.li 1 : !riscv.reg
  %c4 = rv32.li 4 : !riscv.reg
  %c16 = rv32.li 16 : !riscv.reg
  %c32 = rv32.li 32 : !riscv.reg
  riscv_scf.for %j : !riscv.reg = %c0 : !riscv.reg to %c4 : !riscv.reg step %c1 : !riscv.reg {
    %col0 = rv32.slli %j, 2 : (!riscv.reg) -> !riscv.reg
    %col = riscv.mv %col0 : (!riscv.reg) -> !riscv.reg
    %col1 = riscv.addi %col0, 1 : (!riscv.reg) -> !riscv.reg
    %col2 = riscv.addi %col0, 2 : (!riscv.reg) -> !riscv.reg
    %col3 = riscv.addi %col0, 3 : (!riscv.reg) -> !riscv.reg
    %far = riscv.addi %col0, 1024 : (!riscv.reg) -> !riscv.reg
    riscv_scf.for %k : !riscv.reg = %c0 : !riscv.reg to %c32 : !riscv.reg step %c1 : !riscv.reg {
      %ak = riscv.mul %k, %c4 : (!riscv.reg, !riscv.reg) -> !riscv.reg
      %ap = riscv.add %a, %ak : (!riscv.reg, !riscv.reg) -> !riscv.reg
      %x = riscv.flw %ap, 0 : (!riscv.reg) -> !riscv.freg
      %row = riscv.mul %k, %c16 : (!riscv.reg, !riscv.reg) -> !riscv.reg
      %i0 = riscv.add %row, %col : (!riscv.reg, !riscv.reg) -> !riscv.reg
      %s0 = riscv.mul %i0, %c4 : (!riscv.reg, !riscv.reg) -> !riscv.reg
      %p0 = riscv.add %b, %s0 : (!riscv.reg, !riscv.reg) -> !riscv.reg
      %y0 = riscv.flw %p0, 0 : (!riscv.reg) -> !riscv.freg
      %i1 = riscv.add %row, %col1 : (!riscv.reg, !riscv.reg) -> !riscv.reg
      %s1 = riscv.mul %i1, %c4 : (!riscv.reg, !riscv.reg) -> !riscv.reg
      %p1 = riscv.add %b, %s1 : (!riscv.reg, !riscv.reg) -> !riscv.reg
      %y1 = riscv.flw %p1, 0 : (!riscv.reg) -> !riscv.freg
      %i2 = riscv.add %row, %col2 : (!riscv.reg, !riscv.reg) -> !riscv.reg
      %s2 = riscv.mul %i2, %c4 : (!riscv.reg, !riscv.reg) -> !riscv.reg
      %p2 = riscv.add %b, %s2 : (!riscv.reg, !riscv.reg) -> !riscv.reg
      %y2 = riscv.flw %p2, 0 : (!riscv.reg) -> !riscv.freg
      %i3 = riscv.add %row, %col3 : (!riscv.reg, !riscv.reg) -> !riscv.reg
      %s3 = riscv.mul %i3, %c4 : (!riscv.reg, !riscv.reg) -> !riscv.reg
      %p3 = riscv.add %b, %s3 : (!riscv.reg, !riscv.reg) -> !riscv.reg
      %y3 = riscv.flw %p3, 8 : (!riscv.reg) -> !riscv.freg
      %i4 = riscv.add %row, %far : (!riscv.reg, !riscv.reg) -> !riscv.reg
      %s4 = riscv.mul %i4, %c4 : (!riscv.reg, !riscv.reg) -> !riscv.reg
      %p4 = riscv.add %b, %s4 : (!riscv.reg, !riscv.reg) -> !riscv.reg
      %y4 = riscv.flw %p4, 0 : (!riscv.reg) -> !riscv.freg
      %row2 = riscv.mul %k, %c32 : (!riscv.reg, !riscv.reg) -> !riscv.reg
      %i5 = riscv.add %row2, %col1 : (!riscv.reg, !riscv.reg) -> !riscv.reg
      %s5 = riscv.mul %i5, %c4 : (!riscv.reg, !riscv.reg) -> !riscv.reg
      %p5 = riscv.add %b, %s5 : (!riscv.reg, !riscv.reg) -> !riscv.reg
      %y5 = riscv.flw %p5, 0 : (!riscv.reg) -> !riscv.freg
      %z0 = riscv.fmul.s %x, %y0 : (!riscv.freg, !riscv.freg) -> !riscv.freg
      %z1 = riscv.fmul.s %x, %y1 : (!riscv.freg, !riscv.freg) -> !riscv.freg
      %z2 = riscv.fmul.s %x, %y2 : (!riscv.freg, !riscv.freg) -> !riscv.freg
      %z3 = riscv.fmul.s %x, %y3 : (!riscv.freg, !riscv.freg) -> !riscv.freg
      %z4 = riscv.fmul.s %y4, %y5 : (!riscv.freg, !riscv.freg) -> !riscv.freg
      %q0 = riscv.add %o, %s0 : (!riscv.reg, !riscv.reg) -> !riscv.reg
      riscv.fsw %q0, %z0, 0 : (!riscv.reg, !riscv.freg) -> ()
      %q1 = riscv.add %o, %s1 : (!riscv.reg, !riscv.reg) -> !riscv.reg
      riscv.fsw %q1, %z1, 0 : (!riscv.reg, !riscv.freg) -> ()
      %q2 = riscv.add %o, %s2 : (!riscv.reg, !riscv.reg) -> !riscv.reg
      riscv.fsw %q2, %z2, 0 : (!riscv.reg, !riscv.freg) -> ()
      %q3 = riscv.add %o, %s3 : (!riscv.reg, !riscv.reg) -> !riscv.reg
      riscv.fsw %q3, %z3, -4 : (!riscv.reg, !riscv.freg) -> ()
      %q4 = riscv.add %o, %s4 : (!riscv.reg, !riscv.reg) -> !riscv.reg
      riscv.fsw %q4, %z4, 0 : (!riscv.reg, !riscv.freg) -> ()
    }
  }
  riscv_func.return
}
