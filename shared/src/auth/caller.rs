//! Who is calling: the user of the bearer token, read again from the store, so that the token of a
//! deleted account, or one issued before a password or role change, stops working at once.

use crate::auth::jwt::Tokens;
use crate::error::ApiError;
use crate::ports::UserStore;
use crate::users::User;

pub async fn current_user<U: UserStore>(
    tokens: &Tokens,
    users: &U,
    authorization: Option<&str>,
) -> Result<User, ApiError> {
    let claims = tokens.authenticate(authorization).await?;
    let user = users
        .get(&claims.sub)
        .await?
        .ok_or_else(|| ApiError::unauthorized("this account no longer exists"))?;
    if claims.ver != user.token_version {
        return Err(ApiError::unauthorized(
            "the password or role of this account changed: sign in again",
        ));
    }
    Ok(user)
}
