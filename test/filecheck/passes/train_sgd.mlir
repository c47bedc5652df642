// RUN: tdopt %s --split-input-file -p 'train-autodiff,train-sgd{lr=0.01}' | filecheck %s
// RUN: tdopt %s --split-input-file -p 'train-autodiff,train-sgd{lr=0.5 momentum=0.9}' | filecheck %s --check-prefix=MOM
// RUN: tdopt %s --split-input-file -p 'train-autodiff,train-sgd' | filecheck %s --check-prefix=NOLR

// The updated parameters replace the gradients: NAME - lr * NAME_grad.
// CHECK-LABEL: func.func @head
// CHECK-SAME: -> (tensor<f32>, tensor<2x8xf32>, tensor<2xf32>)
// CHECK-SAME: train.result_names = ["loss", "fc_w_updated", "fc_b_updated"]
// CHECK: %[[LR:.*]] = train.constant dense<1.000000e-02> : tensor<f32>
// CHECK: %[[STEP:.*]] = train.mul %{{.*}}, %[[LR]] : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
// CHECK: %[[W:.*]] = train.sub %fc, %[[STEP]] : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK: func.return %l, %[[W]], %{{.*}} : tensor<f32>, tensor<2x8xf32>, tensor<2xf32>

// Momentum adds a zero-initialised velocity parameter per trained tensor,
// returned updated after the parameters.
// MOM-LABEL: func.func @head
// MOM-SAME: train.result_names = ["loss", "fc_w_updated", "fc_b_updated", "fc_w_velocity_updated", "fc_b_velocity_updated"]
// MOM: %fc_w_velocity = train.param @fc_w_velocity = dense<0.000000e+00> : tensor<2x8xf32>
// MOM: %[[MU:.*]] = train.constant dense<9.000000e-01> : tensor<f32>
// MOM: %[[V:.*]] = train.mul %fc_w_velocity, %[[MU]]
// MOM: %[[NV:.*]] = train.add %[[V]], %{{.*}} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>

// Without the option and an `lr` property, the default 0.01.
// NOLR-LABEL: func.func @head
// NOLR: train.constant dense<1.000000e-02> : tensor<f32>
func.func @head(%f: tensor<1x8xf32>, %labels: tensor<1xi64>) -> tensor<f32> {
  %fc = train.param @fc_w trainable : tensor<2x8xf32>
  %fb = train.param @fc_b trainable : tensor<2xf32>
  %o = train.gemm %f, %fc, %fb {trans_b} : (tensor<1x8xf32>, tensor<2x8xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %l = train.cross_entropy %o, %labels : (tensor<1x2xf32>, tensor<1xi64>) -> tensor<f32>
  func.return %l : tensor<f32>
}

// -----

// A learning rate recorded on the parameter (by the ONNX importer) is used
// when the option is absent.
// NOLR-LABEL: func.func @own_lr
// NOLR: train.constant dense<2.500000e-01> : tensor<f32>
// CHECK-LABEL: func.func @own_lr
// CHECK: train.constant dense<1.000000e-02> : tensor<f32>
func.func @own_lr(%f: tensor<1x8xf32>, %t: tensor<1x2xf32>) -> tensor<f32> {
  %fc = train.param @w trainable {lr = 0.25 : f32} : tensor<8x2xf32>
  %o = train.matmul %f, %fc : (tensor<1x8xf32>, tensor<8x2xf32>) -> tensor<1x2xf32>
  %l = train.mse %o, %t : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<f32>
  func.return %l : tensor<f32>
}
