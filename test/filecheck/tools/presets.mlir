// What the preset flags expand to (--print-pipeline), the LoRA rank flags,
// extension points, and flags that cannot be combined.
// RUN: tdopt --lora --print-pipeline | filecheck %s --check-prefix=LORA
// RUN: tdopt %s --lora=2 --print-pipeline | filecheck %s --check-prefix=RANK2
// RUN: tdopt --lora %s --lora-rank 3 --print-pipeline | filecheck %s --check-prefix=RANK3
// RUN: tdopt --finetune=1 --after-autodiff=canonicalize --before-autodiff=cse --after-sgd='canonicalize,cse' --print-pipeline | filecheck %s --check-prefix=POINTS
// RUN: tdopt --finetune='fc.*, blocks.3.*' --print-pipeline | filecheck %s --check-prefix=GLOBS
// RUN: tdopt --lora --lr 0.00001 --print-pipeline | filecheck %s --check-prefix=SMALLLR
// RUN: not tdopt --lora --lr nan --print-pipeline 2>&1 | filecheck %s --check-prefix=NANLR
// RUN: tdopt --lora --tile-l1=128k --cores=4 --before-riscv=licm --print-pipeline | filecheck %s --check-prefix=RISCV
// RUN: tdopt %s --lora --lora-rank 2 | filecheck %s --check-prefix=STEP
// RUN: tdopt %s --lora --time-passes -o /dev/null 2>&1 | filecheck %s --check-prefix=TIME
// RUN: not tdopt %s --lora-rank 2 2>&1 | filecheck %s --check-prefix=NOLORA
// RUN: not tdopt %s --lora=0 2>&1 | filecheck %s --check-prefix=ZERO
// RUN: not tdopt %s --after-autodiff=cse 2>&1 | filecheck %s --check-prefix=NOPRESET
// RUN: not tdopt %s --emit=linalg --after-sgd=cse 2>&1 | filecheck %s --check-prefix=NOTRAIN
// RUN: not tdopt %s --lora --before-riscv=cse 2>&1 | filecheck %s --check-prefix=NOASM
// RUN: not tdopt %s --lora -p canonicalize 2>&1 | filecheck %s --check-prefix=MIX
// RUN: tdopt --help-pass train-lora | filecheck %s --check-prefix=HELP
// RUN: not tdopt --help-pass train-lor 2>&1 | filecheck %s --check-prefix=NOPASS

// LORA: train-lora{rank=4},train-autodiff,train-sgd{lr=0.01}
// RANK2: train-lora{rank=2},train-autodiff,train-sgd{lr=0.01}
// RANK3: train-lora{rank=3},train-autodiff,train-sgd{lr=0.01}
// POINTS: train-finetune{last=1},cse,train-autodiff,canonicalize,train-sgd{lr=0.01},canonicalize,cse
// GLOBS: train-finetune{trainable="fc.*","blocks.3.*"},train-autodiff,train-sgd{lr=0.01}
// SMALLLR: train-lora{rank=4},train-autodiff,train-sgd{lr=0.00001}
// NANLR: error: --lr must be a positive number, got nan
// RISCV: train-lora{rank=4},train-autodiff,train-sgd{lr=0.01},train-schedule-updates,train-fuse-weight-update,convert-train-to-linalg,linalg-generalize-named-ops,{{.*}}tier-tile-l1{budget={{[0-9]+}} cores=4},kernel-fuse-fill,kernel-fold-epilogue,tier-prefetch-first-tiles{budget={{[0-9]+}}},licm,kernel-dedup,convert-globals-to-sections,

// The input file after --lora is the input, not the rank.
// STEP-LABEL: func.func @head
// STEP: train.param @fc1_w_lora_A trainable = dense<{{.*}}> : tensor<2x8xf32>

// TIME: tdopt pass timing (wall seconds):
// TIME-NEXT: train-lora
// TIME-NEXT: train-autodiff
// TIME-NEXT: train-sgd
// TIME-NEXT: (verification x1)
// TIME-NEXT: total

// NOLORA: error: --lora-rank needs --lora
// ZERO: error: --lora rank must be >= 1, got 0
// NOPRESET: error: --after-autodiff extends a preset (--lora, --finetune, --emit, --tile-l1); with -p, write the passes into the pipeline
// NOTRAIN: error: --after-sgd needs a training preset (--lora or --finetune)
// NOASM: error: --before-riscv needs --emit=asm or --tile-l1
// MIX: error: -p cannot be combined with --lora, --finetune, --emit, --tile-l1, --cores or --l2: add passes at an extension point
// HELP: train-lora  (tdopt: tdopt.passes.train_lora.TrainLoraPass)
// HELP: options (-p 'NAME{option=value ...}'):
// HELP: rank: int = 4
// NOPASS: error: --help-pass: no pass named 'train-lor'; similar: train-lora, train-lora-merge
func.func @head(%x: tensor<1x8xf32>, %labels: tensor<1xi64>) -> tensor<f32> {
  %w1 = train.param @fc1_w = dense<0.125> : tensor<8x8xf32>
  %f = train.gemm %x, %w1 {trans_b} : (tensor<1x8xf32>, tensor<8x8xf32>) -> tensor<1x8xf32>
  %fc = train.param @fc_w = dense<0.25> : tensor<2x8xf32>
  %fb = train.param @fc_b = dense<0.5> : tensor<2xf32>
  %o = train.gemm %f, %fc, %fb {trans_b} : (tensor<1x8xf32>, tensor<2x8xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %l = train.cross_entropy %o, %labels : (tensor<1x2xf32>, tensor<1xi64>) -> tensor<f32>
  func.return %l : tensor<f32>
}
