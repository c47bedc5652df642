// RUN: tdopt %s -p 'train-autodiff,grad-weight-decay{decay=0.1},train-sgd{lr=0.5}' | filecheck %s
// RUN: tdopt %s --finetune=fc_w --after-autodiff='grad-weight-decay{decay=0.1}' | filecheck %s --check-prefix=PRESET
// RUN: tdopt %s --finetune=fc_w --after-autodiff='grad-weight-decay{decay=0.1}' --print-pipeline | filecheck %s --check-prefix=PIPELINE
// RUN: tdopt --help | filecheck %s --check-prefix=HELP
// RUN: tdopt --help-pass grad-weight-decay | filecheck %s --check-prefix=HELPPASS
// RUN: not tdopt %s -p 'train-autodiff,grad-weight-decay{decay=-1}' 2>&1 | filecheck %s --check-prefix=ERR
// RUN: not tdopt %s -p 'grad-weight-decay' 2>&1 | filecheck %s --check-prefix=NOGRAD

// The gradient of @fc_w gets 0.1 * fc_w before the SGD step uses it.
// CHECK-LABEL: func.func @head
// CHECK: %[[D:.*]] = train.constant dense<1.000000e-01> : tensor<f32>
// CHECK: %[[S:.*]] = train.mul %fc, %[[D]] : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
// CHECK: %[[G:.*]] = train.add %{{.*}}, %[[S]] : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK: %[[LR:.*]] = train.constant dense<5.000000e-01> : tensor<f32>
// CHECK: train.mul %[[G]], %[[LR]]

// From a preset's extension point: only the fine-tuned weight is decayed.
// PRESET-LABEL: func.func @head
// PRESET-SAME: train.result_names = ["loss", "fc_w_updated"]
// PRESET: train.constant dense<1.000000e-01> : tensor<f32>
// PIPELINE: train-finetune{trainable="fc_w"},train-autodiff,grad-weight-decay{decay=0.1},train-sgd{lr=0.01}

// HELP: plugin passes (tdopt_weight_decay):
// HELP-NEXT: grad-weight-decay{decay}
// HELP-NEXT: Add L2 weight decay to the gradients of train-autodiff.
// HELPPASS: grad-weight-decay  (tdopt_weight_decay: tdopt_weight_decay.GradWeightDecayPass)
// HELPPASS: decay: float | int = 0.0005
// HELPPASS-NEXT: The weight-decay factor (PyTorch's SGD weight_decay); must be >= 0.

// ERR: error: grad-weight-decay: decay must be >= 0, got -1
// NOGRAD: error: grad-weight-decay: no NAME_grad result to decay (run train-autodiff first)
func.func @head(%f: tensor<1x8xf32>, %labels: tensor<1xi64>) -> tensor<f32> {
  %fc = train.param @fc_w trainable = dense<0.25> : tensor<2x8xf32>
  %fb = train.param @fc_b trainable = dense<0.5> : tensor<2xf32>
  %o = train.gemm %f, %fc, %fb {trans_b} : (tensor<1x8xf32>, tensor<2x8xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %l = train.cross_entropy %o, %labels : (tensor<1x2xf32>, tensor<1xi64>) -> tensor<f32>
  func.return %l : tensor<f32>
}
