// RUN: tdopt %s -p train-schedule-updates,train-fuse-weight-update | filecheck %s

// @w1's gradient x^T dh (a gemm, transposed A) and @w2's (a 2-D matmul)
// become accumulations into the weights: the smaller operand scaled by -lr
// (dh: 2x3 < x: 2x4; h_t: 3x2 < dy: 2x5), C = the weight. @w2's fused update
// stays after the transpose that reads the old @w2. @b's gradient is not a
// product: its update is unchanged.
// CHECK-LABEL: func.func @step
// CHECK:      %[[W2T:.*]] = train.transpose %w2
// CHECK-NEXT: %[[C2:.*]] = train.constant dense<-1.000000e-02> : tensor<f32>
// CHECK-NEXT: %[[S2:.*]] = train.mul %h_t, %[[C2]]
// CHECK-NEXT: %[[W2U:.*]] = train.gemm %[[S2]], %dy, %w2 : (tensor<3x2xf32>, tensor<2x5xf32>, tensor<3x5xf32>) -> tensor<3x5xf32>
// CHECK-NEXT: %[[DH:.*]] = train.matmul %dy, %[[W2T]]
// CHECK-NEXT: %[[LRB:.*]] = train.constant dense<1.000000e-02>
// CHECK-NEXT: %[[SB:.*]] = train.mul %[[DH]], %[[LRB]]
// CHECK-NEXT: %[[BU:.*]] = train.sub %b, %[[SB]]
// CHECK-NEXT: %[[C1:.*]] = train.constant dense<-1.000000e-02> : tensor<f32>
// CHECK-NEXT: %[[S1:.*]] = train.mul %[[DH]], %[[C1]]
// CHECK-NEXT: %[[W1U:.*]] = train.gemm %x, %[[S1]], %w1 {trans_a} : (tensor<2x4xf32>, tensor<2x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
// CHECK-NEXT: func.return %[[W1U]], %[[W2U]], %[[BU]]
// CHECK-NOT:  train.sub %w
func.func @step(%x: tensor<2x4xf32>, %h_t: tensor<3x2xf32>, %dy: tensor<2x5xf32>) -> (tensor<4x3xf32>, tensor<3x5xf32>, tensor<2x3xf32>) attributes {train.result_names = ["w1_updated", "w2_updated", "b_updated"]} {
  %w1 = train.param @w1 trainable : tensor<4x3xf32>
  %w2 = train.param @w2 trainable : tensor<3x5xf32>
  %b = train.param @b trainable : tensor<2x3xf32>
  %w2_t = train.transpose %w2 {perm = array<i64: 1, 0>} : (tensor<3x5xf32>) -> tensor<5x3xf32>
  %g2 = train.matmul %h_t, %dy : (tensor<3x2xf32>, tensor<2x5xf32>) -> tensor<3x5xf32>
  %dh = train.matmul %dy, %w2_t : (tensor<2x5xf32>, tensor<5x3xf32>) -> tensor<2x3xf32>
  %g1 = train.gemm %x, %dh {trans_a} : (tensor<2x4xf32>, tensor<2x3xf32>) -> tensor<4x3xf32>
  %lr1 = train.constant dense<0.01> : tensor<f32>
  %s1 = train.mul %g1, %lr1 : (tensor<4x3xf32>, tensor<f32>) -> tensor<4x3xf32>
  %w1u = train.sub %w1, %s1 : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  %lr2 = train.constant dense<0.01> : tensor<f32>
  %s2 = train.mul %lr2, %g2 : (tensor<f32>, tensor<3x5xf32>) -> tensor<3x5xf32>
  %w2u = train.sub %w2, %s2 : (tensor<3x5xf32>, tensor<3x5xf32>) -> tensor<3x5xf32>
  %lrb = train.constant dense<0.01> : tensor<f32>
  %sb = train.mul %dh, %lrb : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  %bu = train.sub %b, %sb : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  func.return %w1u, %w2u, %bu : tensor<4x3xf32>, tensor<3x5xf32>, tensor<2x3xf32>
}
