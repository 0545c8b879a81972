-- Dashboard sessions and portal tokens are server-side now (0009): the key that signed the old
-- stateless cookies signs nothing, and was stored in clear. Cookies it signed end with it.
DELETE FROM settings WHERE key = 'dashboard_session_key';
