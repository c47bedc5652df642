// RUN: tdopt %s -p kernel-unroll-innermost | filecheck %s
// RUN: tdopt %s -p 'kernel-unroll-innermost{factor=2}' | filecheck %s --check-prefix=TWO

// A sum of 8 values: the loop steps by 4, its body is four copies at i,
// i + 1, i + 2, i + 3, each adding to the previous copy's sum (the same
// order of additions as before).
// CHECK-LABEL: func.func @k_sum
// CHECK:       %[[STEP:.*]] = arith.constant 4 : index
// CHECK:       scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %[[STEP]] iter_args(%[[ACC:.*]] = %{{.*}}) -> (f32) {
// CHECK-NEXT:    %[[V0:.*]] = memref.load %{{.*}}[%[[I]]]
// CHECK-NEXT:    %[[S0:.*]] = arith.addf %[[ACC]], %[[V0]]
// CHECK-NEXT:    %[[C1:.*]] = arith.constant 1 : index
// CHECK-NEXT:    %[[I1:.*]] = arith.addi %[[I]], %[[C1]]
// CHECK-NEXT:    %[[V1:.*]] = memref.load %{{.*}}[%[[I1]]]
// CHECK-NEXT:    %[[S1:.*]] = arith.addf %[[S0]], %[[V1]]
// CHECK:         %[[C3:.*]] = arith.constant 3 : index
// CHECK-NEXT:    %[[I3:.*]] = arith.addi %[[I]], %[[C3]]
// CHECK-NEXT:    %[[V3:.*]] = memref.load %{{.*}}[%[[I3]]]
// CHECK-NEXT:    %[[S3:.*]] = arith.addf %{{.*}}, %[[V3]]
// CHECK-NEXT:    scf.yield %[[S3]] : f32
// TWO-LABEL:   func.func @k_sum
// TWO:         arith.constant 2 : index
// TWO:         scf.for
// TWO-COUNT-2:   memref.load
// TWO-NOT:       memref.load
// TWO:           scf.yield
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

// 6 iterations of step 2 (3 trips): not divisible by 4 or 2, unchanged. Only
// the innermost loop of a nest is unrolled; 10 iterations: by 2.
// CHECK-LABEL: func.func @k_relu
// CHECK:       scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[TWO_ROWS:.*]] {
// CHECK:         %[[STEP2:.*]] = arith.constant 2 : index
// CHECK-NEXT:    scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[STEP2]] {
// CHECK-COUNT-2:   arith.maximumf
// CHECK-NOT:       arith.maximumf
// CHECK:       func.return
func.func @k_relu(%x: memref<6x10xf32>) attributes {cluster.kernel = "relu"} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c6 = arith.constant 6 : index
  %c10 = arith.constant 10 : index
  %zero = arith.constant 0.0 : f32
  scf.for %r = %c0 to %c6 step %c2 {
    scf.for %c = %c0 to %c10 step %c1 {
      %v = memref.load %x[%r, %c] : memref<6x10xf32>
      %y = arith.maximumf %v, %zero : f32
      memref.store %y, %x[%r, %c] : memref<6x10xf32>
    }
  }
  func.return
}

// Left alone: 7 iterations (prime), and a function that is not a kernel.
// Bounds known only at run time (each core's slice): unrolled by 4 up to
// lo + ((hi - lo) / 4) * 4, the original loop doing the rest.
// CHECK-LABEL: func.func @k_odd
// CHECK:       scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[ONE:.*]] {
// CHECK-COUNT-1: memref.store
// CHECK-NOT:     memref.store
// CHECK:       }
// CHECK:       %[[FOUR:.*]] = arith.constant 4 : index
// CHECK-NEXT:  %[[SPAN:.*]] = arith.subi %hi, %lo : index
// CHECK-NEXT:  %[[GROUPS:.*]] = arith.divsi %[[SPAN]], %[[FOUR]] : index
// CHECK-NEXT:  %[[WHOLE:.*]] = arith.muli %[[GROUPS]], %[[FOUR]] : index
// CHECK-NEXT:  %[[MID:.*]] = arith.addi %lo, %[[WHOLE]] : index
// CHECK-NEXT:  scf.for %{{.*}} = %lo to %[[MID]] step %[[FOUR]] {
// CHECK-COUNT-4: memref.store
// CHECK-NOT:     memref.store
// CHECK:       }
// CHECK-NEXT:  scf.for %{{.*}} = %[[MID]] to %hi step %[[ONE]] {
// CHECK-COUNT-1: memref.store
// CHECK-NOT:     memref.store
// CHECK:       func.return
func.func @k_odd(%x: memref<7xf32>, %lo: index, %hi: index) attributes {cluster.kernel = "fill"} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c7 = arith.constant 7 : index
  %zero = arith.constant 0.0 : f32
  scf.for %i = %c0 to %c7 step %c1 {
    memref.store %zero, %x[%i] : memref<7xf32>
  }
  scf.for %i = %lo to %hi step %c1 {
    memref.store %zero, %x[%i] : memref<7xf32>
  }
  func.return
}

// CHECK-LABEL: func.func @not_a_kernel
// CHECK:       scf.for
// CHECK-COUNT-1: memref.store
// CHECK-NOT:     memref.store
func.func @not_a_kernel(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  scf.for %i = %c0 to %c8 step %c1 {
    memref.store %zero, %x[%i] : memref<8xf32>
  }
  func.return
}

// A reduction over a run-time slice: the remainder loop starts from the
// unrolled loop's sum.
// CHECK-LABEL: func.func @k_slice_sum
// CHECK:       %[[MAIN:.*]] = scf.for %{{.*}} = %lo to %[[MID:.*]] step %{{.*}} iter_args(%{{.*}} = %[[INIT:.*]]) -> (f32) {
// CHECK-COUNT-4: arith.addf
// CHECK:       %[[REST:.*]] = scf.for %{{.*}} = %[[MID]] to %hi step %{{.*}} iter_args(%{{.*}} = %[[MAIN]]) -> (f32) {
// CHECK:       memref.store %[[REST]]
func.func @k_slice_sum(%x: memref<64xf32>, %out: memref<1xf32>, %lo: index, %hi: index) attributes {cluster.kernel = "reduce_sum"} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %init = memref.load %out[%c0] : memref<1xf32>
  %s = scf.for %i = %lo to %hi step %c1 iter_args(%acc = %init) -> (f32) {
    %v = memref.load %x[%i] : memref<64xf32>
    %n = arith.addf %acc, %v : f32
    scf.yield %n : f32
  }
  memref.store %s, %out[%c0] : memref<1xf32>
  func.return
}
