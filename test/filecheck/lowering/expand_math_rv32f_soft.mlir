// RUN: tdopt %s -p 'expand-math-rv32f{soft-div-sqrt=true}' | filecheck %s
// RUN: tdopt %s -p 'expand-math-rv32f{soft-div-sqrt=true},convert-func-to-riscv-func,convert-arith-extra-to-riscv,convert-arith-to-riscv,reconcile-unrealized-casts,canonicalize,cse,riscv-fuse-fmadd,canonicalize,riscv-allocate-registers,canonicalize,riscv-lower-parallel-mov,canonicalize' -t riscv-asm | filecheck %s --check-prefix=ASM

// Division: reciprocal guess 0x7EF311C3 - bits(d), Newton steps, residual
// correction, then a select for d = +-0 / +-inf.
// CHECK-LABEL: func.func @div
// CHECK-NOT: arith.divf
// CHECK: %[[MAGIC:.*]] = arith.constant 2129859011 : i32
// CHECK-NEXT: %[[DB:.*]] = arith.bitcast %d : f32 to i32
// CHECK-NEXT: %[[G:.*]] = arith.subi %[[MAGIC]], %[[DB]] : i32
// CHECK: %[[SPECIAL:.*]] = arith.ori
// CHECK: %[[R:.*]] = arith.select %[[SPECIAL]], %{{.*}}, %{{.*}} : f32
// CHECK-NEXT: func.return %[[R]] : f32
// ASM-LABEL: div:
// ASM-NOT: fdiv.s
// ASM: fnmsub.s
// ASM: fmadd.s
// ASM: ret
func.func @div(%a: f32, %d: f32) -> f32 {
  %q = arith.divf %a, %d : f32
  func.return %q : f32
}

// Square root: 1/sqrt guess 0x5F3759DF - bits(x)/2, Newton steps, x * y
// with a residual correction; +inf and x < 0 patched in the integer domain.
// CHECK-LABEL: func.func @sqrt
// CHECK-NOT: math.sqrt
// CHECK: arith.constant 1597463007 : i32
// CHECK: arith.shrui
// CHECK: arith.cmpf oeq, %x, %{{.*}} : f32
// CHECK: arith.cmpf ult, %x, %{{.*}} : f32
// ASM-LABEL: sqrt:
// ASM-NOT: fsqrt.s
// ASM: ret
func.func @sqrt(%x: f32) -> f32 {
  %s = math.sqrt %x : f32
  func.return %s : f32
}

// The division inside tanh is soft too.
// CHECK-LABEL: func.func @tanh
// CHECK-NOT: arith.divf
// CHECK: math.copysign
// ASM-LABEL: tanh:
// ASM-NOT: fdiv.s
// ASM: ret
func.func @tanh(%x: f32) -> f32 {
  %t = math.tanh %x : f32
  func.return %t : f32
}
