// RUN: tdopt %s -p riscv-fuse-fmadd | filecheck %s
// RUN: tdopt %s -p 'riscv-fuse-fmadd{require-contract=true}' | filecheck %s --check-prefix=CONTRACT

// a*b + c, with the product on either side of the add.
// CHECK-LABEL: riscv_func.func @madd
// CHECK-NEXT: %[[L:.*]] = riscv.fmadd.s %a, %b, %c : (!riscv.freg, !riscv.freg, !riscv.freg) -> !riscv.freg
// CHECK-NEXT: %[[R:.*]] = riscv.fmadd.s %b, %c, %a : (!riscv.freg, !riscv.freg, !riscv.freg) -> !riscv.freg
// CHECK-NEXT: riscv_func.return %[[L]], %[[R]]
// CONTRACT-LABEL: riscv_func.func @madd
// CONTRACT-NEXT: riscv.fmul.s
// CONTRACT-NEXT: riscv.fadd.s
riscv_func.func @madd(%a: !riscv.freg, %b: !riscv.freg, %c: !riscv.freg) -> (!riscv.freg, !riscv.freg) {
  %m = riscv.fmul.s %a, %b : (!riscv.freg, !riscv.freg) -> !riscv.freg
  %r = riscv.fadd.s %m, %c : (!riscv.freg, !riscv.freg) -> !riscv.freg
  %m2 = riscv.fmul.s %b, %c : (!riscv.freg, !riscv.freg) -> !riscv.freg
  %r2 = riscv.fadd.s %a, %m2 : (!riscv.freg, !riscv.freg) -> !riscv.freg
  riscv_func.return %r, %r2 : !riscv.freg, !riscv.freg
}

// a*b - c is fmsub.s, c - a*b is fnmsub.s.
// CHECK-LABEL: riscv_func.func @msub
// CHECK-NEXT: %[[S:.*]] = riscv.fmsub.s %a, %b, %c : (!riscv.freg, !riscv.freg, !riscv.freg) -> !riscv.freg
// CHECK-NEXT: %[[N:.*]] = riscv.fnmsub.s %a, %b, %c : (!riscv.freg, !riscv.freg, !riscv.freg) -> !riscv.freg
// CHECK-NEXT: riscv_func.return %[[S]], %[[N]]
riscv_func.func @msub(%a: !riscv.freg, %b: !riscv.freg, %c: !riscv.freg) -> (!riscv.freg, !riscv.freg) {
  %m = riscv.fmul.s %a, %b : (!riscv.freg, !riscv.freg) -> !riscv.freg
  %r = riscv.fsub.s %m, %c : (!riscv.freg, !riscv.freg) -> !riscv.freg
  %m2 = riscv.fmul.s %a, %b : (!riscv.freg, !riscv.freg) -> !riscv.freg
  %r2 = riscv.fsub.s %c, %m2 : (!riscv.freg, !riscv.freg) -> !riscv.freg
  riscv_func.return %r, %r2 : !riscv.freg, !riscv.freg
}

// -(a*b + c) (arith.negf lowers to fsgnjn.s x, x) is fnmadd.s.
// CHECK-LABEL: riscv_func.func @nmadd
// CHECK-NEXT: %[[R:.*]] = riscv.fnmadd.s %a, %b, %c : (!riscv.freg, !riscv.freg, !riscv.freg) -> !riscv.freg
// CHECK-NEXT: riscv_func.return %[[R]]
riscv_func.func @nmadd(%a: !riscv.freg, %b: !riscv.freg, %c: !riscv.freg) -> !riscv.freg {
  %m = riscv.fmul.s %a, %b : (!riscv.freg, !riscv.freg) -> !riscv.freg
  %s = riscv.fadd.s %m, %c : (!riscv.freg, !riscv.freg) -> !riscv.freg
  %n = riscv.fsgnjn.s %s, %s : (!riscv.freg, !riscv.freg) -> !riscv.freg
  riscv_func.return %n : !riscv.freg
}

// A product used twice stays: fusing would compute it twice.
// CHECK-LABEL: riscv_func.func @shared_product
// CHECK-NEXT: riscv.fmul.s %a, %b
// CHECK-NEXT: riscv.fadd.s
// CHECK-NEXT: riscv.fsub.s
// CHECK-NOT: riscv.fm{{n?}}{{add|sub}}.s
riscv_func.func @shared_product(%a: !riscv.freg, %b: !riscv.freg, %c: !riscv.freg) -> (!riscv.freg, !riscv.freg) {
  %m = riscv.fmul.s %a, %b : (!riscv.freg, !riscv.freg) -> !riscv.freg
  %r = riscv.fadd.s %m, %c : (!riscv.freg, !riscv.freg) -> !riscv.freg
  %r2 = riscv.fsub.s %c, %m : (!riscv.freg, !riscv.freg) -> !riscv.freg
  riscv_func.return %r, %r2 : !riscv.freg, !riscv.freg
}

// A Horner chain fuses link by link; f64 is left to xDSL's own pattern.
// CHECK-LABEL: riscv_func.func @horner
// CHECK-NEXT: %[[P:.*]] = riscv.fmadd.s %c2, %x, %c1
// CHECK-NEXT: %[[Q:.*]] = riscv.fmadd.s %[[P]], %x, %c0
// CHECK-NEXT: riscv.fmul.d
// CHECK-NEXT: riscv.fadd.d
// CONTRACT-LABEL: riscv_func.func @horner
// CONTRACT-NEXT: riscv.fmadd.s %c2, %x, %c1
// CONTRACT-NEXT: riscv.fmul.s
// CONTRACT-NEXT: riscv.fadd.s
riscv_func.func @horner(%x: !riscv.freg, %c0: !riscv.freg, %c1: !riscv.freg, %c2: !riscv.freg) -> (!riscv.freg, !riscv.freg) {
  %m1 = riscv.fmul.s %c2, %x fastmath<contract> : (!riscv.freg, !riscv.freg) -> !riscv.freg
  %p = riscv.fadd.s %m1, %c1 fastmath<fast> : (!riscv.freg, !riscv.freg) -> !riscv.freg
  %m2 = riscv.fmul.s %p, %x : (!riscv.freg, !riscv.freg) -> !riscv.freg
  %q = riscv.fadd.s %m2, %c0 fastmath<contract> : (!riscv.freg, !riscv.freg) -> !riscv.freg
  %d = riscv.fmul.d %x, %x : (!riscv.freg, !riscv.freg) -> !riscv.freg
  %e = riscv.fadd.d %d, %x : (!riscv.freg, !riscv.freg) -> !riscv.freg
  riscv_func.return %q, %e : !riscv.freg, !riscv.freg
}
