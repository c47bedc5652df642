// RUN: tdopt %s -p expand-math-rv32f | filecheck %s

// exp: clamp, round x/ln2 with the 1.5*2^23 constant, Cody-Waite reduction,
// Horner polynomial, 2^n from exponent bits as two half-scales.
// CHECK-LABEL: func.func @exp
// CHECK-NOT: math.exp
// CHECK: %[[LO:.*]] = arith.maximumf %x, %{{.*}} : f32
// CHECK: %[[X:.*]] = arith.minimumf %[[LO]], %{{.*}} : f32
// CHECK: %[[MAGIC:.*]] = arith.constant 0x4B400000 : f32
// CHECK: %[[XL:.*]] = arith.mulf %[[X]], %{{.*}} : f32
// CHECK-NEXT: %[[T:.*]] = arith.addf %[[XL]], %[[MAGIC]] : f32
// CHECK: %[[TBITS:.*]] = arith.bitcast %[[T]] : f32 to i32
// CHECK: %[[N:.*]] = arith.subi %[[TBITS]], %{{.*}} : i32
// CHECK: arith.constant 0.693359375 : f32
// CHECK: arith.constant -0.000212194442 : f32
// CHECK: arith.constant 0.000198756912 : f32
// CHECK: %[[HALF:.*]] = arith.shrsi %[[N]], %{{.*}} : i32
// CHECK: %[[E1:.*]] = arith.shli %{{.*}}, %{{.*}} : i32
// CHECK-NEXT: %[[S1:.*]] = arith.bitcast %[[E1]] : i32 to f32
// CHECK-NEXT: %[[P1:.*]] = arith.mulf %{{.*}}, %[[S1]] : f32
// CHECK-NEXT: arith.subi %[[N]], %[[HALF]] : i32
// CHECK: %[[S2:.*]] = arith.bitcast %{{.*}} : i32 to f32
// CHECK-NEXT: %[[R:.*]] = arith.mulf %[[P1]], %[[S2]] : f32
// CHECK-NEXT: func.return %[[R]] : f32
func.func @exp(%x: f32) -> f32 {
  %y = math.exp %x : f32
  func.return %y : f32
}

// log: subnormal scaling, exponent/mantissa split in the integer domain,
// special values patched by integer selects.
// CHECK-LABEL: func.func @log
// CHECK: %[[TINY:.*]] = arith.cmpf olt, %x, %{{.*}} : f32
// CHECK: arith.select %[[TINY]], %{{.*}}, %{{.*}} : i32
// CHECK: %[[OFF:.*]] = arith.bitcast %{{.*}} : f32 to i32
// CHECK: %[[IX:.*]] = arith.subi %{{.*}}, %[[OFF]] : i32
// CHECK: arith.shrsi %[[IX]], %{{.*}} : i32
// CHECK: arith.andi %[[IX]], %{{.*}} : i32
// CHECK: arith.sitofp %{{.*}} : i32 to f32
// CHECK: arith.constant 0.0703768358 : f32
// CHECK: arith.cmpf oeq, %x, %{{.*}} : f32
// CHECK: arith.constant 2139095040 : i32
// CHECK: arith.cmpf oeq, %x, %{{.*}} : f32
// CHECK: arith.constant -8388608 : i32
// CHECK: arith.cmpf ult, %x, %{{.*}} : f32
// CHECK: arith.constant 2143289344 : i32
// CHECK: %[[BITS:.*]] = arith.select
// CHECK-NEXT: %[[R:.*]] = arith.bitcast %[[BITS]] : i32 to f32
// CHECK-NEXT: func.return %[[R]] : f32
func.func @log(%x: f32) -> f32 {
  %y = math.log %x : f32
  func.return %y : f32
}

// erf: x + x R(x^2) near 0, else sign(x) (1 - exp(Q(|x|))); one select.
// CHECK-LABEL: func.func @erf
// CHECK: %[[A:.*]] = math.absf %x : f32
// CHECK: %[[S:.*]] = arith.mulf %x, %x : f32
// CHECK: %[[NEAR:.*]] = arith.addf %{{.*}}, %x : f32
// CHECK: arith.minimumf %[[A]], %{{.*}} : f32
// CHECK: %[[TAIL:.*]] = math.copysign %{{.*}}, %x : f32
// CHECK: %[[SMALL:.*]] = arith.cmpf ole, %[[A]], %{{.*}} : f32
// CHECK-NEXT: %[[R:.*]] = arith.select %[[SMALL]], %[[NEAR]], %[[TAIL]] : f32
// CHECK-NEXT: func.return %[[R]] : f32
func.func @erf(%x: f32) -> f32 {
  %y = math.erf %x : f32
  func.return %y : f32
}

// tanh = sign(x) em / (em + 2), em = expm1(min(2|x|, 40)).
// CHECK-LABEL: func.func @tanh
// CHECK: %[[A:.*]] = math.absf %x : f32
// CHECK: %[[A2:.*]] = arith.addf %[[A]], %[[A]] : f32
// CHECK: arith.minimumf %[[A2]], %{{.*}} : f32
// CHECK: %[[Q:.*]] = arith.divf %[[EM:.*]], %{{.*}} : f32
// CHECK-NEXT: %[[R:.*]] = math.copysign %[[Q]], %x : f32
// CHECK-NEXT: func.return %[[R]] : f32
func.func @tanh(%x: f32) -> f32 {
  %y = math.tanh %x : f32
  func.return %y : f32
}

// sqrt (one fsqrt.s later), f64 and vectors are not touched.
// CHECK-LABEL: func.func @untouched
// CHECK-NEXT: math.sqrt %x : f32
// CHECK-NEXT: math.exp %d : f64
// CHECK-NEXT: math.tanh %v : vector<4xf32>
func.func @untouched(%x: f32, %d: f64, %v: vector<4xf32>) -> (f32, f64, vector<4xf32>) {
  %s = math.sqrt %x : f32
  %e = math.exp %d : f64
  %t = math.tanh %v : vector<4xf32>
  func.return %s, %e, %t : f32, f64, vector<4xf32>
}
