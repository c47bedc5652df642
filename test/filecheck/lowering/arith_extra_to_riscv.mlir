// RUN: tdopt %s -p convert-arith-extra-to-riscv | filecheck %s

// CHECK-LABEL: func.func @bitcasts
// CHECK-NEXT: %[[F:.*]] = builtin.unrealized_conversion_cast %x : f32 to !riscv.freg
// CHECK-NEXT: %[[I:.*]] = riscv.fmv.x.w %[[F]] : (!riscv.freg) -> !riscv.reg
// CHECK-NEXT: %[[II:.*]] = builtin.unrealized_conversion_cast %[[I]] : !riscv.reg to i32
// CHECK-NEXT: %[[IR:.*]] = builtin.unrealized_conversion_cast %[[II]] : i32 to !riscv.reg
// CHECK-NEXT: %[[B:.*]] = riscv.fmv.w.x %[[IR]] : (!riscv.reg) -> !riscv.freg
// CHECK-NEXT: %[[R:.*]] = builtin.unrealized_conversion_cast %[[B]] : !riscv.freg to f32
// CHECK-NEXT: func.return %[[R]] : f32
func.func @bitcasts(%x: f32) -> f32 {
  %i = arith.bitcast %x : f32 to i32
  %f = arith.bitcast %i : i32 to f32
  func.return %f : f32
}

// select: b ^ ((a ^ b) & -(cond & 1)), without a branch.
// CHECK-LABEL: func.func @select_int
// CHECK-NEXT: %[[C:.*]] = builtin.unrealized_conversion_cast %c : i1 to !riscv.reg
// CHECK-NEXT: %[[A:.*]] = builtin.unrealized_conversion_cast %a : i32 to !riscv.reg
// CHECK-NEXT: %[[B:.*]] = builtin.unrealized_conversion_cast %b : i32 to !riscv.reg
// CHECK-NEXT: %[[BIT:.*]] = riscv.andi %[[C]], 1 : (!riscv.reg) -> !riscv.reg
// CHECK-NEXT: %[[ZERO:.*]] = rv32.get_register : !riscv.reg<zero>
// CHECK-NEXT: %[[MASK:.*]] = riscv.sub %[[ZERO]], %[[BIT]] : (!riscv.reg<zero>, !riscv.reg) -> !riscv.reg
// CHECK-NEXT: %[[D:.*]] = riscv.xor %[[A]], %[[B]] : (!riscv.reg, !riscv.reg) -> !riscv.reg
// CHECK-NEXT: %[[K:.*]] = riscv.and %[[D]], %[[MASK]] : (!riscv.reg, !riscv.reg) -> !riscv.reg
// CHECK-NEXT: %{{.*}} = riscv.xor %[[B]], %[[K]] : (!riscv.reg, !riscv.reg) -> !riscv.reg
func.func @select_int(%c: i1, %a: i32, %b: i32) -> i32 {
  %r = arith.select %c, %a, %b : i32
  func.return %r : i32
}

// CHECK-LABEL: func.func @select_f32
// CHECK: riscv.fmv.x.w
// CHECK-NEXT: riscv.fmv.x.w
// CHECK-NEXT: riscv.andi
// CHECK-NEXT: rv32.get_register
// CHECK-NEXT: riscv.sub
// CHECK-NEXT: riscv.xor
// CHECK-NEXT: riscv.and
// CHECK-NEXT: riscv.xor
// CHECK-NEXT: riscv.fmv.w.x
func.func @select_f32(%c: i1, %a: f32, %b: f32) -> f32 {
  %r = arith.select %c, %a, %b : f32
  func.return %r : f32
}

// Against +0.0 (a ReLU's gradient): a's bits under the mask, nothing to
// xor; after a compare (0 or 1) without the `andi`. select(c, 0, b) keeps
// b when c is false: the mask is bit - 1. -0.0 is not all zero bits: the
// general form.
// CHECK-LABEL: func.func @select_zero
// CHECK:      %[[LT:.*]] = arith.cmpf ogt, %x, %zero : f32
// CHECK:      %[[BITS:.*]] = riscv.fmv.x.w %{{.*}} : (!riscv.freg) -> !riscv.reg
// CHECK-NEXT: %[[Z:.*]] = rv32.get_register : !riscv.reg<zero>
// CHECK-NEXT: %[[M:.*]] = riscv.sub %[[Z]], %{{.*}} : (!riscv.reg<zero>, !riscv.reg) -> !riscv.reg
// CHECK-NEXT: %[[K:.*]] = riscv.and %[[BITS]], %[[M]] : (!riscv.reg, !riscv.reg) -> !riscv.reg
// CHECK-NEXT: riscv.fmv.w.x %[[K]]
// CHECK:      riscv.andi %{{.*}}, 1
// CHECK-NEXT: %[[M2:.*]] = riscv.addi %{{.*}}, -1 : (!riscv.reg) -> !riscv.reg
// CHECK-NEXT: riscv.and %{{.*}}, %[[M2]]
// CHECK:      riscv.xor
// CHECK:      riscv.xor
// CHECK:      func.return
func.func @select_zero(%x: f32, %c: i1, %b: i32) -> (f32, i32, f32) {
  %zero = arith.constant 0.0 : f32
  %izero = arith.constant 0 : i32
  %minus = arith.constant -0.0 : f32
  %gt = arith.cmpf ogt, %x, %zero : f32
  %r = arith.select %gt, %x, %zero : f32
  %s = arith.select %c, %izero, %b : i32
  %t = arith.select %c, %x, %minus : f32
  func.return %r, %s, %t : f32, i32, f32
}

// CHECK-LABEL: func.func @float_ops
// CHECK: riscv.fsqrt.s %{{.*}} : (!riscv.freg) -> !riscv.freg
// CHECK: riscv.fsgnjx.s %[[X:.*]], %[[X]] : (!riscv.freg, !riscv.freg) -> !riscv.freg
// CHECK: riscv.fsgnj.s
// CHECK: riscv.fmadd.s
// CHECK: riscv.fmax.s
// CHECK: riscv.fmin.s
// f64 is left to other lowerings
// CHECK: math.sqrt %d : f64
func.func @float_ops(%x: f32, %y: f32, %d: f64) -> (f32, f64) {
  %s = math.sqrt %x : f32
  %a = math.absf %s : f32
  %c = math.copysign %a, %y : f32
  %f = math.fma %c, %x, %y : f32
  %mx = arith.maxnumf %f, %x : f32
  %mn = arith.minnumf %mx, %y : f32
  %sd = math.sqrt %d : f64
  func.return %mn, %sd : f32, f64
}

// fptosi truncates: fcvt.w.s with rm = rtz, spelled as its .insn encoding.
// CHECK-LABEL: func.func @fptosi
// CHECK-NEXT: %[[X:.*]] = builtin.unrealized_conversion_cast %x : f32 to !riscv.freg
// CHECK-NEXT: %[[Z:.*]] = rv32.get_register : !riscv.reg<zero>
// CHECK-NEXT: %[[I:.*]] = riscv.custom_assembly_instruction %[[X]], %[[Z]] {instruction_name = ".insn r 0x53, 1, 0x60,", comment = "fcvt.w.s rtz"} : (!riscv.freg, !riscv.reg<zero>) -> !riscv.reg
func.func @fptosi(%x: f32) -> i32 {
  %i = arith.fptosi %x : f32 to i32
  func.return %i : i32
}
