package ziggeo

import "github.com/authsdk/authsdk/sdk"

func sdkRetry(strategy string) sdk.RetryConfig { return sdk.RetryConfig{Strategy: strategy} }
