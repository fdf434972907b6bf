package ea

// CheckCredential reads the key the way every call does and reports why it
// cannot be used (a missing, unreadable or empty key file, an unset
// environment variable), so that a start-up can fail early with a clear
// message. The key itself is dropped.
func (c *Client) CheckCredential() error {
	_, err := c.readKey()
	return err
}
