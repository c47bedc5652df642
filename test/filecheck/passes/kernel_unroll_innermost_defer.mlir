// RUN: tdopt %s -p 'kernel-unroll-innermost{defer=true}' | filecheck %s

// With defer, a loop of constant trip count larger than the factor keeps
// its body and step and starts with `cluster.unroll` (riscv-scf-unroll
// makes the copies after strength reduction): 8 trips, factor 4.
// CHECK-LABEL: func.func @k_sum
// CHECK:       scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %[[ONE:.*]] iter_args(%[[ACC:.*]] = %{{.*}}) -> (f32) {
// CHECK-NEXT:    cluster.unroll 4
// CHECK-NEXT:    %[[V:.*]] = memref.load %{{.*}}[%[[I]]]
// CHECK-NEXT:    %[[S:.*]] = arith.addf %[[ACC]], %[[V]]
// CHECK-NEXT:    scf.yield %[[S]] : f32
func.func @k_sum(%x: memref<8xf32>, %out: memref<1xf32>) attributes {cluster.kernel = "reduce_sum"} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %init = memref.load %out[%c0] : memref<1xf32>
  %s = scf.for %i = %c0 to %c8 step %c1 iter_args(%acc = %init) -> (f32) {
    %v = memref.load %x[%i] : memref<8xf32>
    %n = arith.addf %acc, %v : f32
    scf.yield %n : f32
  }
  memref.store %s, %out[%c0] : memref<1xf32>
  func.return
}

// 4 trips, factor 4: one group, unrolled here (canonicalize then inlines
// the single iteration).
// CHECK-LABEL: func.func @k_four
// CHECK-NOT:   cluster.unroll
// CHECK:       scf.for
// CHECK-COUNT-4: memref.store
// CHECK-NOT:     memref.store
// CHECK:       func.return
func.func @k_four(%x: memref<4xf32>) attributes {cluster.kernel = "fill"} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  scf.for %i = %c0 to %c4 step %c1 {
    memref.store %zero, %x[%i] : memref<4xf32>
  }
  func.return
}

// Bounds known at run time: unrolled here with a remainder loop, as without
// defer.
// CHECK-LABEL: func.func @k_slice
// CHECK-NOT:   cluster.unroll
// CHECK:       scf.for %{{.*}} = %lo to %[[MID:.*]] step %{{.*}} {
// CHECK-COUNT-4: memref.store
// CHECK:       scf.for %{{.*}} = %[[MID]] to %hi step %{{.*}} {
// CHECK-COUNT-1: memref.store
// CHECK-NOT:     memref.store
func.func @k_slice(%x: memref<64xf32>, %lo: index, %hi: index) attributes {cluster.kernel = "fill"} {
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  scf.for %i = %lo to %hi step %c1 {
    memref.store %zero, %x[%i] : memref<64xf32>
  }
  func.return
}
