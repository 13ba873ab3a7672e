-- Sign-in sessions also wait for the answer to a custom challenge (CUSTOM_AUTH).
ALTER TABLE auth_sessions DROP CONSTRAINT auth_sessions_step_check;
ALTER TABLE auth_sessions ADD CONSTRAINT auth_sessions_step_check
    CHECK (step IN ('select_challenge', 'email_otp', 'web_authn', 'signed_up', 'software_token_mfa',
                    'select_mfa_type', 'mfa_setup', 'mfa_set_up', 'email_mfa_setup', 'sms_mfa',
                    'custom_challenge'));
