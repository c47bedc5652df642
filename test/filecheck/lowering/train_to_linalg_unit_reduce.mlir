// RUN: tdopt %s -p convert-train-to-linalg | filecheck %s

// A sum over an axis of one element (autodiff's weight gradient of a
// token-major layer summed over a batch of one) is a copy: one kernel, no
// zero fill, no accumulation (kernel-fuse-producer then folds it into its
// reader). A mean over it likewise (divided by one: no scaling kernel).
// CHECK-LABEL: func.func @unit_sum()
// CHECK-NEXT:    %[[G:.*]] = memref.get_global @g : memref<1x4x3xf32>
// CHECK-NEXT:    %[[H:.*]] = memref.get_global @h : memref<1x1x3xf32>
// CHECK-NEXT:    %[[S:.*]] = memref.get_global @result0 : memref<4x3xf32>
// CHECK-NEXT:    func.call @k_reduce_sum_0_0(%[[G]], %[[S]])
// CHECK-NEXT:    %[[M:.*]] = memref.get_global @result1 : memref<1x3xf32>
// CHECK-NEXT:    func.call @k_reduce_mean_1_0(%[[H]], %[[M]])
// CHECK-NEXT:    func.return
// CHECK-LABEL: func.func @k_reduce_sum_0_0(
// CHECK-NEXT:    %[[V:.*]] = memref.collapse_shape %{{.*}} {{\[}}[0 : i64, 1 : i64], [2 : i64]] : memref<1x4x3xf32> into memref<4x3xf32>
// CHECK-NEXT:    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%[[V]] : memref<4x3xf32>)
// CHECK-NEXT:    ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      linalg.yield %[[X]] : f32
func.func @unit_sum(%g: tensor<1x4x3xf32>, %h: tensor<1x1x3xf32>) -> (tensor<4x3xf32>, tensor<1x3xf32>) {
  %s = train.reduce_sum %g {axes = array<i64: 0>} : (tensor<1x4x3xf32>) -> tensor<4x3xf32>
  %m = train.reduce_mean %h {axes = array<i64: 0>} : (tensor<1x1x3xf32>) -> tensor<1x3xf32>
  func.return %s, %m : tensor<4x3xf32>, tensor<1x3xf32>
}
