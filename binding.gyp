{
  "targets": [
    {
      "target_name": "attn",
      "sources": [
        "native/additive_attention.cc",
        "native/attention.cc",
        "native/attention_short.cc",
        "native/binding.cc",
        "native/copy.cc",
        "native/cpu.cc",
        "native/elementwise.cc",
        "native/gemm.cc",
        "native/generated/glue.cc",
        "native/glue.cc",
        "native/indexing.cc",
        "native/layernorm.cc",
        "native/linear_epilogue.cc",
        "native/memory.cc",
        "native/optim.cc",
        "native/recurrent.cc",
        "native/reduce.cc",
        "native/softmax.cc",
        "native/thread_pool.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-pthread"],
      "ldflags": ["-pthread"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "OTHER_CPLUSPLUSFLAGS": ["-std=c++17", "-O3"]
      },
      "msvs_settings": { "VCCLCompilerTool": { "ExceptionHandling": 1 } }
    }
  ]
}
