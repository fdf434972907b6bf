package arm

import (
	"fmt"
	"net/url"
	"strings"
)

// cloudConfig is what a cloud gives the client: the Resource Manager
// endpoint, the token audience and the Entra ID authority host. The values
// are azcore's (arm/runtime), copied so that no package-level configuration
// needs to be mutated.
type cloudConfig struct {
	endpoint, audience, authorityHost string
}

// cloudOf returns the named cloud's configuration.
func cloudOf(name string) (cloudConfig, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", "public", "azurepublic", "azurecloud":
		return cloudConfig{"https://management.azure.com", "https://management.core.windows.net/", "https://login.microsoftonline.com/"}, nil
	case "usgovernment", "azuregovernment", "azureusgovernment":
		return cloudConfig{"https://management.usgovcloudapi.net", "https://management.core.usgovcloudapi.net/", "https://login.microsoftonline.us/"}, nil
	case "china", "azurechina", "azurechinacloud":
		return cloudConfig{"https://management.chinacloudapi.cn", "https://management.core.chinacloudapi.cn/", "https://login.chinacloudapi.cn/"}, nil
	}
	return cloudConfig{}, fmt.Errorf("arm: Cloud %s: want public, usgovernment or china (and Audience for a private cloud)", quoteShort(name))
}

// entraHosts are the authority hosts that Entra ID's instance discovery
// knows (MSAL's trusted host list, reference 6.5.1).
var entraHosts = map[string]bool{
	"login.microsoftonline.com":        true,
	"login.microsoft.com":              true,
	"login.windows.net":                true,
	"sts.windows.net":                  true,
	"login.microsoftonline.us":         true,
	"login-us.microsoftonline.com":     true,
	"login.usgovcloudapi.net":          true,
	"login.chinacloudapi.cn":           true,
	"login.partner.microsoftonline.cn": true,
	"login.microsoftonline.de":         true,
	"login.sovcloud-identity.fr":       true,
	"login.sovcloud-identity.de":       true,
	"login.sovcloud-identity.sg":       true,
}

// disableInstanceDiscovery decides, for an authority host URL, whether
// azidentity must skip instance discovery: Entra answers discovery for a
// host it does not know with invalid_instance, so an Azure Stack or private
// authority only works with discovery off, while Entra's own hosts keep the
// validation. MSAL compares host and port, so a port makes a host unknown.
func disableInstanceDiscovery(authorityHost string) bool {
	u, err := url.Parse(strings.TrimSpace(authorityHost))
	if err != nil || u.Host == "" {
		return false // azidentity refuses it with its own message
	}
	return !entraHosts[strings.ToLower(u.Host)]
}

// authorityHost is the host azidentity will use: the configured one, the
// named cloud's, AZURE_AUTHORITY_HOST, or the public cloud's, in
// azidentity's own order of precedence.
func authorityHost(cfg Config, cl cloudConfig) string {
	switch {
	case cfg.AuthorityHost != "":
		return cfg.AuthorityHost
	case strings.TrimSpace(cfg.Cloud) != "":
		return cl.authorityHost
	}
	if h := cfg.getenv("AZURE_AUTHORITY_HOST"); h != "" {
		return h
	}
	return cl.authorityHost
}
