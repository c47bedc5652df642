// RUN: tdopt %s --split-input-file -p 'convert-train-to-linalg,linalg-generalize-named-ops,kernel-fuse-producer' | filecheck %s

// A chain (a - b) * g + a: the subtraction fuses into the product, which
// fuses into the sum; one kernel reads a, g and b (a once: the sum and the
// subtraction read the same element) and no buffer is left between them.
// CHECK-LABEL: func.func @chain()
// CHECK-NOT:   memref.alloc
// CHECK:       func.call @k_add_2_0_fused0(%[[A:.*]], %[[R:.*]], %[[G:.*]], %[[B:.*]]) :
// CHECK-NEXT:  func.return
// CHECK-LABEL: func.func @k_add_2_0_fused0(
// CHECK-SAME:    attributes {cluster.kernel = "add"}
// CHECK-NEXT:  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%0, %2, %3 : {{.*}}) outs(%1 : memref<4x8xf32>)
// CHECK-NEXT:  ^bb0(%[[XA:.*]]: f32, %[[XG:.*]]: f32, %[[XB:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:    %[[D:.*]] = arith.subf %[[XA]], %[[XB]] : f32
// CHECK-NEXT:    %[[S:.*]] = arith.mulf %[[D]], %[[XG]] : f32
// CHECK-NEXT:    %[[Y:.*]] = arith.addf %[[S]], %[[XA]] : f32
// CHECK-NEXT:    linalg.yield %[[Y]] : f32
func.func @chain(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>, %g: tensor<8xf32>) -> tensor<4x8xf32> {
  %d = train.sub %a, %b : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %s = train.mul %d, %g : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %r = train.add %s, %a : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  func.return %r : tensor<4x8xf32>
}

// -----

// A transpose feeding a matrix product: the product reads w[n, k] where it
// read wt[k, n]; the transpose and its buffer are gone.
// CHECK-LABEL: func.func @transposed()
// CHECK-NOT:   k_transpose
// CHECK:       func.call @k_matmul_1_1_fused0(
// CHECK-LABEL: func.func @k_matmul_1_1_fused0(
// CHECK-NEXT:  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}}, %{{.*}} : memref<4x8xf32>, memref<6x8xf32>)
// CHECK-NOT:   func.func @k_transpose
func.func @transposed(%x: tensor<4x8xf32>, %w: tensor<6x8xf32>) -> tensor<4x6xf32> {
  %wt = train.transpose %w {perm = array<i64: 1, 0>} : (tensor<6x8xf32>) -> tensor<8x6xf32>
  %y = train.matmul %x, %wt : (tensor<4x8xf32>, tensor<8x6xf32>) -> tensor<4x6xf32>
  func.return %y : tensor<4x6xf32>
}

// -----

// e feeds a matrix product, which reads each element once per column: the
// addition is not recomputed there (kept, with its buffer). d is read by
// the square (both operands) and by the last sum; once the square has fused
// into the sums, their kernel is d's only reader and the subtraction fuses
// too: one kernel computes d once and uses it three times.
// CHECK-LABEL: func.func @kept()
// CHECK:       %[[E:.*]] = memref.alloc() : memref<4x8xf32>
// CHECK-NEXT:  func.call @k_add_1_0(%{{.*}}, %{{.*}}, %[[E]])
// CHECK:       func.call @k_matmul_2_1(%[[E]], %{{.*}}, %{{.*}})
// CHECK-NOT:   memref.alloc
// CHECK:       func.call @k_add_1_0_fused2(%{{.*}}, %{{.*}}, %{{.*}})
// CHECK-LABEL: func.func @k_add_1_0_fused2(
// CHECK:       ^bb0(%[[XB:.*]]: f32, %[[XA:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:    %[[D:.*]] = arith.subf %[[XA]], %[[XB]] : f32
// CHECK-NEXT:    %[[SQ:.*]] = arith.mulf %[[D]], %[[D]] : f32
// CHECK-NEXT:    %[[F:.*]] = arith.addf %[[SQ]], %[[XB]] : f32
// CHECK-NEXT:    %[[G:.*]] = arith.addf %[[F]], %[[D]] : f32
// CHECK-NEXT:    linalg.yield %[[G]] : f32
func.func @kept(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>, %w: tensor<8x6xf32>) -> (tensor<4x8xf32>, tensor<4x6xf32>) {
  %d = train.sub %a, %b : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %e = train.add %a, %b : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %y = train.matmul %e, %w : (tensor<4x8xf32>, tensor<8x6xf32>) -> tensor<4x6xf32>
  %q = train.mul %d, %d : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %f = train.add %q, %b : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %g = train.add %f, %d : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  func.return %g, %y : tensor<4x8xf32>, tensor<4x6xf32>
}

// -----

// P and C are one kernel function (both products of 4x8 tensors): the fused
// body multiplies a by b, then that by c (not by b again).
// CHECK-LABEL: func.func @products()
// CHECK:       func.call @k_mul_0_0_fused0(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}})
// CHECK-LABEL: func.func @k_mul_0_0_fused0(
// CHECK:       ^bb0(%[[XC:.*]]: f32, %[[XA:.*]]: f32, %[[XB:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:    %[[P:.*]] = arith.mulf %[[XA]], %[[XB]] : f32
// CHECK-NEXT:    %[[Q:.*]] = arith.mulf %[[P]], %[[XC]] : f32
// CHECK-NEXT:    linalg.yield %[[Q]] : f32
func.func @products(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>, %c: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %p = train.mul %a, %b : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %q = train.mul %p, %c : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  func.return %q : tensor<4x8xf32>
}
