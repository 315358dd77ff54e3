//! The writes of sessions, passwords, staff keys and profiles.

use super::super::*;

impl State {
    pub(super) fn open_session(
        &mut self,
        token: &TokenHash,
        customer: CustomerId,
        expires_at: DateTime<Utc>,
    ) {
        let record = SessionRecord {
            customer,
            expires_at,
            revoked: false,
        };
        self.sessions.insert(token.clone(), record);
    }

    pub(super) fn revoke_sessions(&mut self, scope: &SessionScope) {
        match scope {
            SessionScope::One(token) => {
                if let Some(session) = self.sessions.get_mut(token) {
                    session.revoked = true;
                }
            }
            SessionScope::AllOf { customer, except } => {
                for (token, session) in &mut self.sessions {
                    if session.customer == *customer && Some(token) != except.as_ref() {
                        session.revoked = true;
                    }
                }
            }
        }
    }

    pub(super) fn set_password(&mut self, customer: CustomerId, hash: &PasswordHash) {
        if let Some(record) = self.customers.get_mut(&customer) {
            record.password_hash = Some(hash.clone());
        }
    }

    pub(super) fn issue_staff_key(
        &mut self,
        name: &StaffKeyName,
        role: StaffRole,
        hash: &TokenHash,
        at: DateTime<Utc>,
    ) -> StaffKeyId {
        let id = StaffKeyId::new(self.staff_keys.len() as i64 + 1)
            .unwrap_or_else(|_| unreachable!("length + 1 is positive"));
        let key = StaffKey {
            id,
            name: name.clone(),
            role,
            created_at: at,
            revoked_at: None,
        };
        self.staff_keys.insert(id, (key, hash.clone()));
        id
    }

    pub(super) fn revoke_staff_key(&mut self, id: StaffKeyId, at: DateTime<Utc>) {
        if let Some((key, _)) = self.staff_keys.get_mut(&id) {
            key.revoked_at.get_or_insert(at);
        }
    }

    pub(super) fn change_profile(
        &mut self,
        id: CustomerId,
        name: &CustomerName,
        email: &Email,
        phone: &Option<Phone>,
    ) {
        if let Some(record) = self.customers.get_mut(&id) {
            let old = std::mem::replace(&mut record.customer.email, email.clone());
            record.customer.name = name.clone();
            record.customer.phone.clone_from(phone);
            self.customer_by_email.remove(&old);
            self.customer_by_email.insert(email.clone(), id);
        }
    }
}
